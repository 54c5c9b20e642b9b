import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/serve/record.js';
import { firstTimeStreaming, loadWindows } from '../../src/serve/windows.js';

function rec(index: number, send: number, first: number | null, finish: number, warmup = false): RequestRecord {
  return {
    index,
    worker: 0,
    warmup,
    sendMs: send,
    firstTokenMs: first,
    finishMs: finish,
    chunkMs: first === null ? [] : [first],
    inputTokens: 1,
    outputTokens: first === null ? 0 : 1,
    tokensFromUsage: true,
    status: first === null ? 500 : 200,
    errorClass: first === null ? 'http_500' : null,
    errorMessage: null,
  };
}

/** The rule stated directly: the earliest first-token time at which n requests are past their first token and not
 * finished (a request finishing at that instant has handed its slot over). */
function oracle(rs: readonly RequestRecord[], n: number): number | null {
  const times = rs.flatMap((r) => (r.firstTokenMs === null ? [] : [r.firstTokenMs])).sort((a, b) => a - b);
  for (const t of times) {
    const live = rs.filter((r) => r.firstTokenMs !== null && r.firstTokenMs <= t && r.finishMs > t).length;
    if (live >= n) return t;
  }
  return null;
}

const triples: [number, number, number][] = [];
for (let s = 0; s <= 3; s++) for (let f = s; f <= 3; f++) for (let e = f; e <= 3; e++) triples.push([s, f, e]);

describe('steady-state window rule (ML.ENERGY), exhaustively on small cases', () => {
  it('every set of up to 3 requests on a 4-tick clock, every target concurrency: the sweep equals the rule', () => {
    let cases = 0;
    const check = (rs: RequestRecord[]): void => {
      for (let n = 1; n <= 4; n++) {
        expect(firstTimeStreaming(rs, n)).toBe(oracle(rs, n));
        cases++;
      }
    };
    for (const a of triples) {
      check([rec(0, ...a)]);
      for (const b of triples) {
        check([rec(0, ...a), rec(1, ...b)]);
        for (const c of triples) check([rec(0, ...a), rec(1, ...b), rec(2, ...c)]);
      }
    }
    expect(cases).toBe(4 * (20 + 20 ** 2 + 20 ** 3));
  });
});

const request = fc
  .tuple(fc.nat(1000), fc.nat(200), fc.nat(500), fc.boolean())
  .map(([send, ttft, rest, failed]) => ({ send, first: failed ? null : send + ttft, finish: send + ttft + rest }));
const requests = fc.array(request, { minLength: 1, maxLength: 40 });

describe('steady-state window rule, property-tested', () => {
  it('closed loop: the sweep equals the rule; the window lies inside the run and closes at the last send', () => {
    fc.assert(
      fc.property(requests, fc.integer({ min: 1, max: 8 }), (raw, n) => {
        const rs = raw.map((r, i) => rec(i, r.send, r.first, r.finish));
        const lastSend = Math.max(...rs.map((r) => r.sendMs));
        const w = loadWindows({ records: rs, concurrency: n, rampS: 0, lastSendMs: lastSend });
        const open = oracle(rs, n);
        expect(firstTimeStreaming(rs, n)).toBe(open);
        const span = w.whole.end_ms - w.whole.start_ms;
        if (open === null) {
          expect(w.steady).toBeNull();
          expect(w.steady_reason).toContain(`never ${n} requests streaming`);
        } else if (lastSend <= open) {
          expect(w.steady).toBeNull();
          expect(w.steady_reason).toContain('drain began');
        } else {
          expect(w.steady).toEqual({ start_ms: open, end_ms: lastSend, share: (lastSend - open) / span });
          expect(w.steady!.start_ms).toBeGreaterThanOrEqual(w.whole.start_ms);
          expect(w.steady!.end_ms).toBeLessThanOrEqual(w.whole.end_ms);
          expect(w.steady!.share).toBeGreaterThan(0);
          expect(w.steady!.share).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('open loop: opens ramp_s after the first arrival, closes at the last arrival, empty when the ramp covers it', () => {
    fc.assert(
      fc.property(requests, fc.nat(2000), (raw, rampMs) => {
        const rs = raw.map((r, i) => rec(i, r.send, r.first, r.finish));
        const first = Math.min(...rs.map((r) => r.sendMs));
        const last = Math.max(...rs.map((r) => r.sendMs));
        const w = loadWindows({ records: rs, rampS: rampMs / 1000, lastSendMs: last });
        if (last <= first + rampMs) expect(w.steady).toBeNull();
        else expect(w.steady).toMatchObject({ start_ms: first + rampMs, end_ms: last });
      }),
      { numRuns: 1000 },
    );
  });

  it('warm-up requests change neither window', () => {
    fc.assert(
      fc.property(requests, requests, fc.integer({ min: 1, max: 4 }), (measured, warm, n) => {
        const rs = measured.map((r, i) => rec(i, r.send + 5000, r.first && r.first + 5000, r.finish + 5000));
        const ws = warm.map((r, i) => rec(100 + i, r.send, r.first, r.finish, true));
        const lastSend = Math.max(...rs.map((r) => r.sendMs));
        const a = loadWindows({ records: rs, concurrency: n, rampS: 0, lastSendMs: lastSend });
        const b = loadWindows({ records: [...ws, ...rs], concurrency: n, rampS: 0, lastSendMs: lastSend });
        expect(b).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });
});
