import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';
import { describeBytes } from './limits.js';

/** Why a config file could not be read as text; `line`/`column` when the problem is inside it. */
export interface ReadProblem {
  readonly reason: string;
  /** The file does not exist (callers word this one themselves: "experiment file not found"). */
  readonly missing?: boolean;
  readonly line?: number;
  readonly column?: number;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoReason(e: unknown): ReadProblem {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return { reason: 'no such file', missing: true };
    case 'ELOOP':
      return { reason: 'symlink loop (a symbolic link that points back to itself, directly or through others)' };
    case 'EACCES':
    case 'EPERM':
      return { reason: 'permission denied' };
    case 'ENOTDIR':
      return { reason: 'a part of the path is not a directory', missing: true };
    case 'ENAMETOOLONG':
      return { reason: 'the path is too long' };
    default:
      return { reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether a stat describes something safe to read to its end: a regular file no larger than the limit. */
function refuse(s: Stats, maxBytes: number): ReadProblem | undefined {
  if (!s.isFile()) return { reason: `is ${kindOf(s)}, not a regular file: give a YAML file` };
  if (s.size > maxBytes)
    return { reason: `is ${describeBytes(s.size)}, larger than the ${describeBytes(maxBytes)} a config file may be` };
  return undefined;
}

/**
 * The bytes of a config file, refusing anything that could block or exhaust memory. The path is stat-ed
 * before it is opened (a FIFO or /dev/zero is refused without opening it), opened non-blocking (should it be
 * swapped for a FIFO in between, the open does not wait for a writer), stat-ed again through the descriptor,
 * and read for at most maxBytes + 1 bytes (files such as those in /proc report size 0 and grow as read).
 */
export function readBoundedFile(file: string, maxBytes: number): Result<Buffer, ReadProblem> {
  let fd: number;
  try {
    const before = refuse(statSync(file), maxBytes);
    if (before) return err(before);
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return err(errnoReason(e));
  }
  try {
    const after = refuse(fstatSync(fd), maxBytes);
    if (after) return err(after);
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) return err({ reason: `is larger than the ${describeBytes(maxBytes)} a config file may be` });
    }
    return ok(buf.subarray(0, n));
  } catch (e) {
    return err(errnoReason(e));
  } finally {
    closeSync(fd);
  }
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not valid UTF-8. */
function sequenceLength(b: Buffer, i: number): number {
  const x = b[i]!;
  if (x < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (x >= 0xc2 && x <= 0xdf) return cont(1) ? 2 : 0;
  if (x >= 0xe0 && x <= 0xef) {
    // No overlong forms (E0 80..9F) and no UTF-16 surrogates (ED A0..BF).
    const [lo, hi] = x === 0xe0 ? [0xa0, 0xbf] : x === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (x >= 0xf0 && x <= 0xf4) {
    const [lo, hi] = x === 0xf0 ? [0x90, 0xbf] : x === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Offset of the first byte that is not part of valid UTF-8, or -1 when the whole buffer is valid. */
export function firstInvalidUtf8(b: Buffer): number {
  if (isUtf8(b)) return -1;
  for (let i = 0; i < b.length;) {
    const n = sequenceLength(b, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * The file's text. Invalid UTF-8 is an error at its line and column (counted in characters, as an editor
 * does), never silently replaced: a replaced byte inside a model name would change what runs.
 */
export function readConfigText(file: string, maxBytes: number): Result<string, ReadProblem> {
  const bytes = readBoundedFile(file, maxBytes);
  if (!bytes.ok) return bytes;
  const bad = firstInvalidUtf8(bytes.value);
  if (bad >= 0) {
    const before = bytes.value.subarray(0, bad);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    const line = before.filter((x) => x === 0x0a).length + 1;
    const column = before.subarray(lineStart).toString('utf8').length + 1;
    const byte = bytes.value[bad]!.toString(16).padStart(2, '0');
    return err({ reason: `invalid UTF-8 (byte 0x${byte}): save the file as UTF-8`, line, column });
  }
  // A byte-order mark is not part of the document.
  const text = bytes.value.toString('utf8');
  return ok(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
