import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { ErrorCode, LemFailure, lemError, type LemError } from './errors.js';
import { err, ok, type Result } from './result.js';

export interface AtomicWriteOptions {
  /**
   * fsync the file and its folder (default true): the write survives a power cut. Aggregates that can be
   * derived again from their inputs skip it, since a crash then costs at most the new copy.
   */
  readonly durable?: boolean;
}

/** Plain words for the errors a full or read-only disk gives, so the user learns what to free or fix. */
export function describeWriteError(path: string, e: unknown): LemError {
  const code = (e as NodeJS.ErrnoException).code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return lemError(ErrorCode.STATE_WRITE, `cannot write ${path}: disk full (${code}); nothing was half-written`, {
      hint: `free space on the disk holding ${dirname(path)}, then continue`,
    });
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    const what = code === 'EROFS' ? 'read-only file system' : 'permission denied';
    return lemError(ErrorCode.STATE_WRITE, `cannot write ${path}: ${what} (${code})`, {
      hint: `make ${dirname(path)} writable for this user`,
    });
  }
  return lemError(ErrorCode.STATE_WRITE, `cannot write ${path}: ${msg}`);
}

/**
 * Writes every byte of `data` at the file position `at`. writeSync may write fewer bytes than asked (a full
 * disk, a signal): the rest is written in further calls, and a call that writes nothing is an error.
 */
export function writeAll(fd: number, data: Buffer, at: number | null): void {
  let done = 0;
  while (done < data.length) {
    const n = writeSync(fd, data, done, data.length - done, at === null ? null : at + done);
    if (n <= 0) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
    done += n;
  }
}

/**
 * Writes a file so readers only ever see the old or the new content: temp file in the same folder, every byte
 * checked, fsync, rename, fsync of the folder. On any failure the temp file is removed and the old file stays.
 */
export function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Result<void> {
  const durable = opts.durable ?? true;
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'w');
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data, null);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    if (durable) fsyncDir(dirname(path));
    return ok(undefined);
  } catch (e) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(tmp);
    return err(describeWriteError(path, e));
  }
}

/**
 * Appends one line and makes it durable before returning (the journal's promise). A partial append (a full
 * disk mid-write) is cut off again, so the file never ends in half a line that a later append would be glued to.
 */
export function appendLineDurable(path: string, line: string): Result<void> {
  let fd: number | undefined;
  let size: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a');
    size = fstatSync(fd).size;
    writeAll(fd, Buffer.from(line.endsWith('\n') ? line : line + '\n'), null);
    fsyncSync(fd);
    closeSync(fd);
    return ok(undefined);
  } catch (e) {
    if (fd !== undefined) {
      if (size !== undefined) {
        try {
          ftruncateSync(fd, size);
        } catch {
          // The torn line stays; loading ignores a torn last line, and the error below is what the user sees.
        }
      }
      closeQuietly(fd);
    }
    return err(describeWriteError(path, e));
  }
}

/** Removes a file if it is there; a failure to remove it changes nothing about the error being reported. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // A temp file that cannot be removed (a read-only folder) was never created there either.
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing after a failed write may fail too; the write's error is the one that matters.
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Thrown where a durable write fails inside an API that returns no Result; the CLI edge reports `error`. */
export class StateWriteError extends LemFailure {
  constructor(error: LemError) {
    super(error);
    this.name = 'StateWriteError';
  }
}

/** For callers that cannot go on without the write: a failure becomes a StateWriteError. */
export function mustWrite(r: Result<void>): void {
  if (!r.ok) throw new StateWriteError(r.error);
}

/**
 * Writes several files, each atomically (see writeFileAtomic), stopping at the first failure. Returns the
 * paths written.
 */
export function writeFilesAtomic(files: ReadonlyMap<string, string>, opts: AtomicWriteOptions = {}): Result<string[]> {
  const written: string[] = [];
  for (const [path, data] of files) {
    const r = writeFileAtomic(path, data, opts);
    if (!r.ok) return r;
    written.push(path);
  }
  return ok(written);
}
