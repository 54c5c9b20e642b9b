import type { ServingBlock } from '../contract/serving.js';
import type { RequestRecord } from './record.js';

export interface WindowInput {
  readonly records: readonly RequestRecord[];
  /** Closed loop: the number of users. Open loop: absent. */
  readonly concurrency?: number | undefined;
  /** Open loop: seconds after the first arrival before the window opens. */
  readonly rampS: number;
  /** The last measured send: after it no queued request is left to keep the server full (the drain begins). */
  readonly lastSendMs: number;
}

/**
 * The whole measured window and the steady state inside it (ML.ENERGY's rule). Closed loop: it opens when the
 * target concurrency is first reached with every slot streaming (that many requests past their first token and
 * not finished) and closes when the drain begins. Open loop: it opens `ramp_s` after the first arrival and closes
 * at the last arrival. null, with the reason, when that window is empty.
 */
export function loadWindows(w: WindowInput): ServingBlock['windows'] {
  const measured = w.records.filter((r) => !r.warmup);
  if (measured.length === 0)
    return { whole: { start_ms: 0, end_ms: 0 }, steady: null, steady_reason: 'no measured request' };
  const start = Math.min(...measured.map((r) => r.sendMs));
  const end = Math.max(...measured.map((r) => r.finishMs));
  const whole = { start_ms: start, end_ms: end };
  let open: number | null;
  if (w.concurrency !== undefined) {
    open = firstTimeStreaming(measured, w.concurrency);
    if (open === null)
      return { whole, steady: null, steady_reason: `never ${w.concurrency} requests streaming at once` };
  } else {
    open = start + w.rampS * 1000;
  }
  const close = w.lastSendMs;
  if (close <= open) return { whole, steady: null, steady_reason: 'the drain began before the load filled its slots' };
  const share = end > start ? (close - open) / (end - start) : 0;
  return { whole, steady: { start_ms: open, end_ms: close, share }, steady_reason: null };
}

/** First time `n` requests are streaming together (first token received, not finished), or null. */
export function firstTimeStreaming(records: readonly RequestRecord[], n: number): number | null {
  const events: [number, number][] = [];
  for (const r of records) {
    if (r.firstTokenMs === null) continue;
    events.push([r.firstTokenMs, 1], [r.finishMs, -1]);
  }
  // At equal times a finish goes first: a slot handed over is not two streams at once.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  for (const [t, d] of events) {
    live += d;
    if (live >= n) return t;
  }
  return null;
}

/** Token-carrying chunks received inside a window by successful measured requests (the tokens of that window). */
export function tokensInWindow(records: readonly RequestRecord[], w: { start_ms: number; end_ms: number }): number {
  let n = 0;
  for (const r of records) {
    if (r.warmup || r.errorClass !== null) continue;
    for (const t of r.chunkMs) if (t >= w.start_ms && t <= w.end_ms) n++;
  }
  return n;
}
