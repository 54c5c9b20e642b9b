import { describe, expect, it } from 'vitest';
import { scalingEfficiency, servingMetrics } from '../../src/serve/metrics.js';
import type { RequestRecord } from '../../src/serve/record.js';
import { requestsCsv } from '../../src/serve/requests-csv.js';
import { loadWindows } from '../../src/serve/windows.js';

/** A successful request: sent at `send`, tokens arriving at `chunks` (absolute ms), finished at the last one. */
function rec(index: number, send: number, chunks: number[], extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    index,
    worker: 0,
    warmup: false,
    sendMs: send,
    firstTokenMs: chunks[0] ?? null,
    finishMs: chunks.at(-1) ?? send,
    chunkMs: chunks,
    inputTokens: 10,
    outputTokens: chunks.length,
    tokensFromUsage: true,
    status: 200,
    errorClass: null,
    errorMessage: null,
    ...extra,
  };
}

describe('servingMetrics (vLLM bench serve definitions)', () => {
  const records = [
    rec(0, 0, [100, 110, 120, 130]), // TTFT 100, TPOT (130-100)/3 = 10, ITLs 10,10,10
    rec(1, 0, [300, 340]), // TTFT 300, TPOT 40, ITL 40
    rec(2, 50, [60]), // one token: no TPOT, no ITL
    rec(3, 0, [], { status: 500, errorClass: 'http_500', finishMs: 5, outputTokens: 0 }),
    rec(4, -50, [-40, -30], { warmup: true }),
  ];
  const m = servingMetrics(records, { ttft_ms: 200, tpot_ms: 20, percentile: 50 });

  it('TTFT, TPOT without the first token, ITL pooled over requests, E2EL', () => {
    expect(m.latency.ttft_ms).toMatchObject({ n: 3, mean: (100 + 300 + 10) / 3, median: 100, min: 10, max: 300 });
    expect(m.latency.tpot_ms).toMatchObject({ n: 2, mean: 25, p50: 25 });
    expect(m.latency.itl_ms).toMatchObject({ n: 4, mean: 17.5, median: 10, max: 40 });
    expect(m.latency.e2el_ms).toMatchObject({ n: 3, max: 340 });
    expect(m.latency.ttft_ms!.std).toBeCloseTo(
      Math.sqrt(((100 - 410 / 3) ** 2 + (300 - 410 / 3) ** 2 + (10 - 410 / 3) ** 2) / 3),
    );
  });

  it('throughputs over first send to last finish; warm-up excluded; failures by class', () => {
    expect(m.duration_s).toBeCloseTo(0.34);
    expect(m.requests).toEqual({
      total: 4,
      completed: 3,
      failed: 1,
      warmup: 1,
      success_rate: 0.75,
      failures: { http_500: 1 },
    });
    expect(m.throughput.requests_per_s).toBeCloseTo(3 / 0.34);
    expect(m.throughput.output_tokens_per_s).toBeCloseTo(7 / 0.34);
    expect(m.tokens).toEqual({ input: 30, output: 7, from_usage: true });
  });

  it('goodput counts requests meeting every SLO; percentile checks report value and verdict', () => {
    // Request 0 meets both; 1 misses TTFT (300) and TPOT (40); 2 has no TPOT and meets TTFT.
    expect(m.slo!.good_requests).toBe(2);
    expect(m.throughput.goodput_requests_per_s).toBeCloseTo(2 / 0.34);
    expect(m.slo!.checks).toEqual({
      ttft_ms: { target_ms: 200, value_ms: 100, met: true },
      tpot_ms: { target_ms: 20, value_ms: 25, met: false },
    });
    expect(m.slo!.met).toBe(false);
  });

  it('no SLO: no goodput, no slo block', () => {
    const n = servingMetrics(records, undefined);
    expect(n.slo).toBeNull();
    expect(n.throughput.goodput_requests_per_s).toBeNull();
  });

  it('scaling efficiency is throughput(k) / (k x throughput(1))', () => {
    expect(scalingEfficiency(180, 2, 100)).toBeCloseTo(0.9);
    expect(scalingEfficiency(10, 2, 0)).toBeNull();
  });
});

describe('steady-state window', () => {
  it('closed loop: opens when N requests stream at once, closes at the last send', () => {
    const rs = [rec(0, 0, [10, 100]), rec(1, 0, [30, 90]), rec(2, 95, [110, 200])];
    const w = loadWindows({ records: rs, concurrency: 2, rampS: 0, lastSendMs: 95 });
    expect(w.whole).toEqual({ start_ms: 0, end_ms: 200 });
    expect(w.steady).toEqual({ start_ms: 30, end_ms: 95, share: 65 / 200 });
  });

  it('closed loop that never fills its slots: null with the reason', () => {
    const w = loadWindows({
      records: [rec(0, 0, [10, 20]), rec(1, 20, [30, 40])],
      concurrency: 2,
      rampS: 0,
      lastSendMs: 20,
    });
    expect(w.steady).toBeNull();
    expect(w.steady_reason).toContain('never 2 requests streaming');
  });

  it('open loop: ramp after the first arrival, to the last arrival', () => {
    const w = loadWindows({
      records: [rec(0, 0, [10]), rec(1, 500, [600]), rec(2, 1500, [1600])],
      rampS: 0.2,
      lastSendMs: 1500,
    });
    expect(w.steady).toEqual({ start_ms: 200, end_ms: 1500, share: 1300 / 1600 });
  });
});

describe('requests.csv', () => {
  it('one row per request in index order, errors quoted', () => {
    const csv = requestsCsv([
      rec(1, 0, [5, 7]),
      rec(0, 1, [], { errorClass: 'http_500', errorMessage: 'a, "b"', status: 500, outputTokens: 0 }),
    ]);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'index,worker,warmup,send_ms,first_token_ms,finish_ms,ttft_ms,e2el_ms,input_tokens,output_tokens,tokens_from_usage,chunks,status,error_class,error_message',
    );
    expect(lines[1]).toBe('0,0,false,1,,1,,0,10,0,true,0,500,http_500,"a, ""b"""');
    expect(lines[2]).toBe('1,0,false,0,5,7,5,7,10,2,true,2,200,,');
  });
});
