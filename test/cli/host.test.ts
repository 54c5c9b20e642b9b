import { describe, expect, it } from 'vitest';
import { dockerTraceEnabled, hostContext } from '../../src/cli/host.js';

describe('hostContext (the CLI edge)', () => {
  it('passes the environment on, with LEM_UID/LEM_GID defaulting to the invoking user', () => {
    const h = hostContext({ A: '1' });
    expect(h.env).toEqual({ A: '1', LEM_UID: String(process.getuid!()), LEM_GID: String(process.getgid!()) });
    expect(hostContext({ LEM_UID: '7', LEM_GID: '8' }).env).toMatchObject({ LEM_UID: '7', LEM_GID: '8' });
  });

  it('traces Docker calls for DEBUG=lem:docker, lem:*, * or LEM_DEBUG, and only then', () => {
    for (const env of [{ DEBUG: 'lem:docker' }, { DEBUG: 'express,lem:*' }, { DEBUG: '*' }, { LEM_DEBUG: '1' }]) {
      expect(dockerTraceEnabled(env)).toBe(true);
      expect(hostContext(env).docker.trace).toBeTypeOf('function');
    }
    for (const env of [{}, { DEBUG: 'lem:other' }, { DEBUG: 'lem:dockerx' }, { LEM_DEBUG: '0' }, { LEM_DEBUG: '' }]) {
      expect(dockerTraceEnabled(env)).toBe(false);
      expect(hostContext(env).docker.trace).toBeUndefined();
    }
  });
});
