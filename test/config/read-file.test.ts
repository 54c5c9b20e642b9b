import { isUtf8 } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, readConfigText } from '../../src/config/read-file.js';

describe('firstInvalidUtf8', () => {
  it('is -1 exactly for valid UTF-8, else the offset where valid text stops', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        const at = firstInvalidUtf8(b);
        if (isUtf8(b)) return at === -1;
        // Everything before the offset decodes, and no sequence (1 to 4 bytes) starting at it does.
        if (at < 0 || !isUtf8(b.subarray(0, at))) return false;
        for (let k = 1; k <= 4 && at + k <= b.length; k++) if (isUtf8(b.subarray(at, at + k))) return false;
        return true;
      }),
    );
  });

  it('finds overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xe2, 0x82]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from('héllo €𝄞', 'utf8'))).toBe(-1);
  });
});

describe('readConfigText', () => {
  const file = (bytes: Buffer | string): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'lem-read-')), 'c.yaml');
    writeFileSync(f, bytes);
    return f;
  };

  it('reports invalid UTF-8 at its line and column, counted in characters', () => {
    const r = readConfigText(
      file(Buffer.concat([Buffer.from('a: 1\nname: "é'), Buffer.from([0xff]), Buffer.from('"\n')])),
      1000,
    );
    expect(r).toEqual({
      ok: false,
      error: { reason: 'invalid UTF-8 (byte 0xff): save the file as UTF-8', line: 2, column: 9 },
    });
  });

  it('drops a byte-order mark and refuses a file over the limit', () => {
    expect(readConfigText(file('\ufeffa: 1\n'), 1000)).toEqual({ ok: true, value: 'a: 1\n' });
    expect(readConfigText(file('a: 1\n'), 4)).toEqual({
      ok: false,
      error: { reason: 'is 5 bytes, larger than the 4 bytes a config file may be' },
    });
  });

  it('refuses directories and devices by what they are', () => {
    expect(readConfigText(tmpdir(), 1000)).toMatchObject({
      ok: false,
      error: { reason: expect.stringMatching(/^is a directory, not a regular file/) },
    });
    expect(readConfigText('/dev/null', 1000)).toMatchObject({
      ok: false,
      error: { reason: expect.stringMatching(/^is a character device/) },
    });
    expect(readConfigText('/nonexistent/c.yaml', 1000)).toMatchObject({ ok: false, error: { missing: true } });
  });
});
