import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBoundedText } from '../../src/results/bounded-read.js';

/** The reader for files lem did not write, on real files (FIFOs, devices and links are in hostile.test.ts). */
const dir = mkdtempSync(join(tmpdir(), 'lem-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readBoundedText', () => {
  it('reads a regular file up to the limit, and refuses one byte more', async () => {
    writeFileSync(join(dir, 'ten'), '0123456789');
    expect(await readBoundedText(join(dir, 'ten'), { maxBytes: 10, followSymlinks: false })).toEqual({
      ok: true,
      value: '0123456789',
    });
    expect(await readBoundedText(join(dir, 'ten'), { maxBytes: 9, followSymlinks: false })).toEqual({
      ok: false,
      error: { kind: 'refused', reason: '10 bytes, over the 9 bytes limit' },
    });
  });

  it('tells a missing file apart from one it refuses', async () => {
    expect(await readBoundedText(join(dir, 'nope'), { maxBytes: 10, followSymlinks: false })).toEqual({
      ok: false,
      error: { kind: 'missing' },
    });
  });

  it('follows a link only when asked to', async () => {
    symlinkSync(join(dir, 'ten'), join(dir, 'link'));
    expect(await readBoundedText(join(dir, 'link'), { maxBytes: 10, followSymlinks: true })).toEqual({
      ok: true,
      value: '0123456789',
    });
    const refused = await readBoundedText(join(dir, 'link'), { maxBytes: 10, followSymlinks: false });
    expect(!refused.ok && refused.error.kind).toBe('refused');
  });

  it('stops at the size fstat reported: a /proc file that says 0 bytes but has more is refused, not read on', async () => {
    const r = await readBoundedText('/proc/self/status', { maxBytes: 1024 * 1024, followSymlinks: false });
    expect(r).toEqual({
      ok: false,
      error: { kind: 'refused', reason: 'changed size while being read (0 bytes when opened)' },
    });
  });
});
