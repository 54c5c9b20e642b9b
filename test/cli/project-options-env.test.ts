import { describe, expect, it } from 'vitest';
import { dockerTraceEnabled, projectOptions } from '../../src/cli/project-options.js';

describe('projectOptions: the environment and the Docker trace (the CLI edge)', () => {
  it('passes the environment on, with LEM_UID/LEM_GID defaulting to the invoking user', () => {
    const o = projectOptions(undefined, { A: '1' }, '/x');
    expect(o.env).toEqual({ A: '1', LEM_UID: String(process.getuid!()), LEM_GID: String(process.getgid!()) });
    expect(projectOptions(undefined, { LEM_UID: '7', LEM_GID: '8' }, '/x').env).toMatchObject({
      LEM_UID: '7',
      LEM_GID: '8',
    });
  });

  it('traces Docker calls for DEBUG=lem:docker, lem:*, * or LEM_DEBUG, and only then', () => {
    for (const env of [{ DEBUG: 'lem:docker' }, { DEBUG: 'express,lem:*' }, { DEBUG: '*' }, { LEM_DEBUG: '1' }]) {
      expect(dockerTraceEnabled(env)).toBe(true);
      expect(projectOptions(undefined, env, '/x').docker?.trace).toBeTypeOf('function');
    }
    for (const env of [{}, { DEBUG: 'lem:other' }, { DEBUG: 'lem:dockerx' }, { LEM_DEBUG: '0' }, { LEM_DEBUG: '' }]) {
      expect(dockerTraceEnabled(env)).toBe(false);
      expect(projectOptions(undefined, env, '/x').docker?.trace).toBeUndefined();
    }
  });
});
