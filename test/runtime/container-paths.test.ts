import { describe, expect, it } from 'vitest';
import { toContainerPath } from '../../src/runtime/container-paths.js';

const binds = [
  { source: '/p', target: '/app/p', readOnly: false },
  { source: '/p/configs', target: '/app/configs', readOnly: true },
  { source: '/data', target: '/mnt/data/', readOnly: true },
];

describe('toContainerPath', () => {
  it('maps through the most specific mount', () => {
    expect(toContainerPath(binds, '/p/configs/prompts.jsonl')).toBe('/app/configs/prompts.jsonl');
    expect(toContainerPath(binds, '/p/other/x.jsonl')).toBe('/app/p/other/x.jsonl');
    expect(toContainerPath(binds, '/data/a/b.jsonl')).toBe('/mnt/data/a/b.jsonl');
    expect(toContainerPath(binds, '/p/configs')).toBe('/app/configs');
  });
  it('says when no mount exposes the file, including look-alike prefixes', () => {
    expect(toContainerPath(binds, '/elsewhere/x.jsonl')).toBeUndefined();
    expect(toContainerPath(binds, '/pp/x.jsonl')).toBeUndefined();
    expect(toContainerPath(binds, '/database/x')).toBeUndefined();
  });
});
