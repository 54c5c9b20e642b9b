import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { describeWriteError, writeAll } from './atomic-file.js';
import { ErrorCode, lemError } from './errors.js';
import { readProcStat } from './proc-stat.js';
import { err, ok, type Result } from './result.js';

/** The lock file of a folder (a campaign's, the daemon's): one name, so every reader looks at the same file. */
export function lockPathIn(dir: string): string {
  return join(dir, 'lock');
}

/**
 * What the lock file says: who holds it, since when. `proc_start` is the holder's start time from
 * /proc/<pid>/stat (absent in locks written before it was recorded, or where /proc cannot say): a process with
 * the same PID but another start time is a different process that reused the PID, not the holder.
 */
export const LockOwner = z.strictObject({
  pid: z.int().positive(),
  started_at: z.string(),
  proc_start: z.string().optional(),
});
export type LockOwner = z.infer<typeof LockOwner>;

export type LockState =
  | { readonly kind: 'free' }
  | { readonly kind: 'held'; readonly owner: LockOwner }
  | { readonly kind: 'stale'; readonly owner: LockOwner | undefined; readonly raw: string };

/** process.kill(pid, 0) delivers nothing: it only asks whether the process exists (EPERM: it does, not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the lock's holder still runs. A zombie (exited, waiting for its parent to reap it: after kill -9 where
 * PID 1 does not reap promptly, as in many containers) is dead, and so is a live process whose start time differs
 * from the one the lock recorded (the PID was reused).
 */
export function holderAlive(owner: LockOwner): boolean {
  const stat = readProcStat(owner.pid);
  if (stat === 'gone') return false;
  if (stat === 'unknown') return pidAlive(owner.pid);
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return owner.proc_start === undefined || owner.proc_start === stat.startTime;
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const parsed = LockOwner.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: no owner can be named, which makes the lock stale (see inspectLock)
  }
}

/**
 * Whether the lock is free, held by a live process, or stale. Content that names no owner counts as stale: the
 * lock is only ever created whole (see acquireLock), so unreadable content was not written by a daemon. A lock
 * naming `self` is stale too: it was left by a dead process that had the PID the caller has now (PIDs are reused,
 * soonest in a restarted container), since the caller does not hold the lock it is asking for.
 */
export function inspectLock(file: string, self?: number): LockState {
  const raw = readRaw(file);
  if (raw === undefined) return { kind: 'free' };
  const owner = parseOwner(raw);
  if (owner && owner.pid !== self && holderAlive(owner)) return { kind: 'held', owner };
  return { kind: 'stale', owner, raw };
}

/** Creates `file` with `content` in one step: written to a private temp file, then hard-linked (EEXIST if taken). */
function createWhole(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(content), null);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

export interface Acquired {
  readonly owner: LockOwner;
  /** Set when a stale lock was taken over: whose it was. */
  readonly tookOverFrom: LockOwner | undefined | 'unreadable';
}

/** Who holds a lock, in messages: the daemon's by default; campaigns name their own. */
export interface LockLabel {
  readonly holder: string;
  readonly hint: (owner: LockOwner) => string;
}

export const DAEMON_LOCK: LockLabel = {
  holder: 'lem daemon',
  hint: (owner) => `only one daemon runs per state folder; stop it with: kill ${owner.pid}`,
};

function heldError(file: string, owner: LockOwner, label: LockLabel): Result<never> {
  return err(
    lemError(
      ErrorCode.LOCKED,
      `another ${label.holder} (PID ${owner.pid}, running since ${owner.started_at}) holds ${file}`,
      {
        hint: label.hint(owner),
      },
    ),
  );
}

/**
 * One daemon per state folder. The lock file names its owner's PID; a lock whose owner is gone is taken over.
 * The takeover renames the stale file aside before creating a new one and checks that what it moved is what it
 * judged stale: two daemons starting at once over a stale lock cannot both win (the loser puts the winner's
 * lock back and reports it held).
 */
export function acquireLock(file: string, pid: number = process.pid, label: LockLabel = DAEMON_LOCK): Result<Acquired> {
  const stat = readProcStat(pid);
  const owner: LockOwner = {
    pid,
    started_at: new Date().toISOString(),
    ...(typeof stat === 'object' ? { proc_start: stat.startTime } : {}),
  };
  const content = JSON.stringify(owner) + '\n';
  try {
    mkdirSync(dirname(file), { recursive: true });
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createWhole(file, content)) return ok({ owner, tookOverFrom: undefined });
      const state = inspectLock(file, pid);
      if (state.kind === 'free') continue; // released between our attempt and our look: try again
      if (state.kind === 'held') return heldError(file, state.owner, label);
      const aside = `${file}.stale-${pid}`;
      try {
        renameSync(file, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it first
        throw e;
      }
      const moved = readFileSync(aside, 'utf8');
      if (moved !== state.raw) {
        // We moved a lock that appeared after our look, a live one: put it back and let the loop judge it again.
        try {
          linkSync(aside, file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        unlinkSync(aside);
        continue;
      }
      unlinkSync(aside);
      if (createWhole(file, content)) return ok({ owner, tookOverFrom: state.owner ?? 'unreadable' });
    }
  } catch (e) {
    // A read-only or full disk is named as such (not as corruption): the user must fix the folder, not the lock.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EDQUOT') {
      const why = describeWriteError(file, e);
      return err({ ...why, message: `cannot take the lock: ${why.message}` });
    }
    return err(lemError(ErrorCode.STATE_CORRUPT, `cannot take the lock ${file}: ${(e as Error).message}`));
  }
  const last = inspectLock(file, pid);
  if (last.kind === 'held') return heldError(file, last.owner, label);
  return err(lemError(ErrorCode.LOCKED, `could not take the lock ${file}: it keeps changing hands`));
}

/** Removes the lock only if it is still ours, so a daemon never deletes a lock another one has taken over. */
export function releaseLock(file: string, pid: number = process.pid): Result<boolean> {
  try {
    const raw = readRaw(file);
    if (raw === undefined) return ok(false);
    if (parseOwner(raw)?.pid !== pid) return ok(false);
    unlinkSync(file);
    return ok(true);
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `cannot release the lock ${file}: ${(e as Error).message}`));
  }
}
