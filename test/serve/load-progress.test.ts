import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../src/contract/events.js';
import { loadProgressReporter } from '../../src/serve/load-progress.js';
import type { RequestRecord } from '../../src/serve/record.js';

const rec = (warmup: boolean, errorClass: string | null = null) => ({ warmup, errorClass }) as RequestRecord;

/** A reporter on a clock the test moves; returns what it reported. */
function harness(total: number | null, everyMs = 5000) {
  let t = 1000;
  const seen: LoadProgress[] = [];
  const feed = loadProgressReporter(
    total,
    (p) => seen.push(p),
    () => t,
    everyMs,
  );
  return { seen, feed, advance: (ms: number) => (t += ms) };
}

describe('load progress', () => {
  it('reports at most every interval, counts measured requests and failures only, and always at the last one', () => {
    const { seen, feed, advance } = harness(4);
    feed(rec(true)); // warm-up: not counted, never reported
    advance(6000);
    feed(rec(false)); // 6 s after the start: due
    advance(1000);
    feed(rec(false, 'http_500')); // 1 s later: not due
    advance(1000);
    feed(rec(false, 'timeout'));
    advance(500);
    feed(rec(false)); // the last planned request: reported whenever it comes
    expect(seen).toEqual([
      { done: 1, total: 4, failed: 0, elapsed_s: 6 },
      { done: 4, total: 4, failed: 2, elapsed_s: 8.5 },
    ]);
  });

  it('a load bounded by duration has no total and reports on the interval alone', () => {
    const { seen, feed, advance } = harness(null, 1000);
    for (let i = 0; i < 10; i++) {
      advance(300);
      feed(rec(false));
    }
    expect(seen.map((p) => [p.done, p.total])).toEqual([
      [4, null],
      [8, null],
    ]);
  });
});
