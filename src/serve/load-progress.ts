import type { LoadProgress } from '../contract/events.js';
import type { RequestRecord } from './record.js';

/** Often enough that a long load visibly moves, rarely enough to be nothing beside the load itself. */
export const LOAD_PROGRESS_EVERY_MS = 5000;

/**
 * Counts the load's finished requests and reports at most every `everyMs` (pure but for the clock it is given):
 * fed each record as it finishes, so a stalled load reports nothing new, which is itself what the user sees.
 */
export function loadProgressReporter(
  total: number | null,
  report: (p: LoadProgress) => void,
  now: () => number,
  everyMs = LOAD_PROGRESS_EVERY_MS,
): (r: RequestRecord) => void {
  const start = now();
  let last = start;
  let done = 0;
  let failed = 0;
  return (r) => {
    if (r.warmup) return;
    done++;
    if (r.errorClass !== null) failed++;
    const t = now();
    if (t - last < everyMs && done !== total) return;
    last = t;
    report({ done, total, failed, elapsed_s: Math.round((t - start) / 100) / 10 });
  };
}
