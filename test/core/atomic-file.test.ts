import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendLineDurable, writeFileAtomic, writeFilesAtomic } from '../../src/core/atomic-file.js';
import { canMount, mountSmallDisk } from '../support/small-disk.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function smallDisk(size: string) {
  const d = mountSmallDisk(size);
  cleanups.push(d.unmount);
  return d.dir;
}

/** Fills the disk page by page until it refuses more: a real full disk, not a simulated one. */
function fill(dir: string) {
  for (let n = 0; n < 1000; n++) {
    try {
      writeFileSync(join(dir, `filler-${n}`), Buffer.alloc(4096));
    } catch {
      return;
    }
  }
  throw new Error(`${dir} did not fill up: is it the small disk?`);
}

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lem-atomic-'));
    const f = join(dir, 'sub', 'a.json');
    expect(writeFileAtomic(f, 'one').ok).toBe(true);
    expect(writeFileAtomic(f, 'two', { durable: false }).ok).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.json']);
  });

  it.runIf(canMount)('on a full disk returns a "disk full" error naming the file, and the old content stays', () => {
    const dir = smallDisk('64k');
    const f = join(dir, 'manifest.json');
    expect(writeFileAtomic(f, 'old content').ok).toBe(true);
    // Larger than the disk: the write is cut short by the kernel, then refused.
    const r = writeFileAtomic(f, 'x'.repeat(200_000));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('LEM023');
    expect(r.error.message).toContain(f);
    expect(r.error.message).toContain('disk full');
    expect(readFileSync(f, 'utf8')).toBe('old content');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  it.runIf(canMount)('writeFilesAtomic stops at the first file that does not fit and names it', () => {
    const dir = smallDisk('64k');
    const r = writeFilesAtomic(
      new Map([
        [join(dir, 'a'), 'a'],
        [join(dir, 'b'), 'b'.repeat(200_000)],
        [join(dir, 'c'), 'c'],
      ]),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(join(dir, 'b'));
    expect(readdirSync(dir).sort()).toEqual(['a']);
  });

  it.runIf(canMount)('names a read-only file system as such', () => {
    const d = mountSmallDisk('64k');
    cleanups.push(d.unmount);
    d.resize('64k,ro');
    const r = writeFileAtomic(join(d.dir, 'x'), 'x');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('read-only file system (EROFS)');
  });
});

describe('appendLineDurable', () => {
  it('appends whole lines, adding the newline', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'lem-append-')), 'j.jsonl');
    expect(appendLineDurable(f, '{"a":1}').ok).toBe(true);
    expect(appendLineDurable(f, '{"a":2}\n').ok).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it.runIf(canMount)('on a full disk fails cleanly and leaves no half line behind', () => {
    const dir = smallDisk('64k');
    const f = join(dir, 'journal.jsonl');
    expect(appendLineDurable(f, 'first').ok).toBe(true);
    fill(dir);
    // The journal's own page has room for a short line but not for this one: part of it would be written.
    const r = appendLineDurable(f, 'y'.repeat(20_000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/journal\.jsonl: disk full/);
    expect(readFileSync(f, 'utf8')).toBe('first\n');
    expect(existsSync(f)).toBe(true);
  });
});
