import { readFileSync } from 'node:fs';

/** What /proc/<pid>/stat says about a process that lock ownership needs. */
export interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie (exited, not yet reaped), X dead, … */
  readonly state: string;
  /** Field 22: when the process started, in clock ticks since boot. With the PID it names one process ever. */
  readonly startTime: string;
}

/**
 * Parses the content of /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const state = rest[0];
  const startTime = rest[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/**
 * The process's stat, or 'gone' when there is no such process, or 'unknown' where /proc cannot say (not Linux,
 * /proc not mounted, hidepid): callers then fall back to asking the kernel with a signal 0.
 */
export function readProcStat(pid: number): ProcStat | 'gone' | 'unknown' {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) ?? 'unknown';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return procMounted() ? 'gone' : 'unknown';
    return 'unknown';
  }
}

function procMounted(): boolean {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false; // no /proc here: nothing it says can be trusted
  }
}
