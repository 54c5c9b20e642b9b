import { close, constants, fstat, open, read, type Stats } from 'node:fs';
import { err, ok, type Result } from '../core/result.js';

/**
 * Reads a text file that lem did not write (result.json, samples.csv) without trusting what the path points at:
 * only a regular file is read, only up to a size limit, and opening never blocks (O_NONBLOCK: a FIFO would
 * otherwise wait for a writer forever). With `followSymlinks: false` a symbolic link is refused, so a result.json
 * linked to /dev/zero or to a host file is never read. The checks run on the open descriptor, so the file cannot be
 * swapped between the check and the read.
 */
export interface BoundedReadOptions {
  maxBytes: number;
  followSymlinks: boolean;
}

/** `missing`: nothing at the path (an experiment that never finished); `refused`/`failed`: say why, skip the file. */
export type ReadProblem = { kind: 'missing' } | { kind: 'refused' | 'failed'; reason: string };

export const MIB = 1024 * 1024;

export function readBoundedText(path: string, opts: BoundedReadOptions): Promise<Result<string, ReadProblem>> {
  // O_NOFOLLOW refuses a link in the last path component with ELOOP; folders above it are the user's to arrange.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.followSymlinks ? 0 : constants.O_NOFOLLOW);
  return new Promise((resolve) => {
    open(path, flags, (e, fd) => {
      if (e) return resolve(err(openProblem(e)));
      const finish = (r: Result<string, ReadProblem>): void => close(fd, () => resolve(r));
      fstat(fd, (e2, st) => {
        if (e2) return finish(err({ kind: 'failed', reason: e2.message }));
        const refusal = refuse(st, opts.maxBytes);
        if (refusal) return finish(err({ kind: 'refused', reason: refusal }));
        readAll(fd, st.size, finish);
      });
    });
  });
}

function openProblem(e: NodeJS.ErrnoException): ReadProblem {
  if (e.code === 'ENOENT') return { kind: 'missing' };
  if (e.code === 'ELOOP') {
    return { kind: 'refused', reason: 'a symbolic link, not a regular file (links are not followed)' };
  }
  return { kind: 'failed', reason: e.message };
}

function refuse(st: Stats, maxBytes: number): string | null {
  if (!st.isFile()) return `not a regular file (${fileKind(st)})`;
  if (st.size > maxBytes) return `${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit`;
  return null;
}

/**
 * Reads the `size` bytes fstat reported and stops there, as readFile does (one read for a small file: open, fstat,
 * read, close), so a file that grows meanwhile is never followed. A file that says it is empty is read with a
 * one-byte buffer: if that byte exists, the size was not true (/proc files say 0) and the file is refused.
 */
function readAll(fd: number, size: number, done: (r: Result<string, ReadProblem>) => void): void {
  const buffer = Buffer.allocUnsafe(Math.max(size, 1));
  let filled = 0;
  const step = (): void => {
    read(fd, buffer, filled, buffer.length - filled, null, (e, n) => {
      if (e) return done(err({ kind: 'failed', reason: e.message }));
      filled += n;
      if (size === 0 && filled > 0) {
        return done(err({ kind: 'refused', reason: 'changed size while being read (0 bytes when opened)' }));
      }
      if (n === 0 || filled === size) return done(ok(buffer.toString('utf8', 0, filled)));
      step();
    });
  };
  step();
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

export function formatBytes(n: number): string {
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
