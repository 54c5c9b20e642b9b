import type { LatencyStats, ServingBlock } from '../contract/serving.js';
import { latencyStats, percentileOf } from './latency-stats.js';
import { succeeded, type RequestRecord } from './record.js';

/** The names lem uses and what they mean: tools disagree (GuideLLM's and AIPerf's "ITL" is vLLM's TPOT). */
export const SERVING_DEFINITIONS: Readonly<Record<string, string>> = {
  ttft_ms: 'request sent to first token-carrying chunk received (vLLM bench serve)',
  tpot_ms:
    '(E2EL - TTFT) / (output_tokens - 1), per request with more than one output token; excludes the first token (vLLM)',
  itl_ms: 'every gap between consecutive token-carrying chunks, pooled over requests (vLLM)',
  e2el_ms: 'request sent to last byte of the response, client side (vLLM)',
  goodput: 'requests per second meeting every configured SLO, checked per request (vLLM --goodput)',
};

export interface Slo {
  readonly ttft_ms?: number | undefined;
  readonly tpot_ms?: number | undefined;
  readonly itl_ms?: number | undefined;
  readonly e2el_ms?: number | undefined;
  readonly percentile?: number | undefined;
}

/** Per-request latencies of a successful request. */
export interface RequestLatency {
  readonly ttft: number;
  readonly e2el: number;
  /** null with fewer than two output tokens (TPOT is undefined there). */
  readonly tpot: number | null;
  readonly itls: number[];
}

export function requestLatency(r: RequestRecord): RequestLatency {
  const ttft = r.firstTokenMs! - r.sendMs;
  const e2el = r.finishMs - r.sendMs;
  const tpot = r.outputTokens > 1 ? (e2el - ttft) / (r.outputTokens - 1) : null;
  const itls: number[] = [];
  for (let i = 1; i < r.chunkMs.length; i++) itls.push(r.chunkMs[i]! - r.chunkMs[i - 1]!);
  return { ttft, e2el, tpot, itls };
}

/** Whether one request met every SLO given (ITL: its largest gap; vLLM has no per-request ITL SLO). */
export function meetsSlo(l: RequestLatency, slo: Slo): boolean {
  if (slo.ttft_ms !== undefined && l.ttft > slo.ttft_ms) return false;
  if (slo.e2el_ms !== undefined && l.e2el > slo.e2el_ms) return false;
  if (slo.tpot_ms !== undefined && l.tpot !== null && l.tpot > slo.tpot_ms) return false;
  if (slo.itl_ms !== undefined && l.itls.some((g) => g > slo.itl_ms!)) return false;
  return true;
}

export type ServingMetrics = Pick<
  ServingBlock,
  'requests' | 'duration_s' | 'throughput' | 'tokens' | 'latency' | 'slo'
>;

interface Pools {
  ttft: number[];
  tpot: number[];
  itl: number[];
  e2el: number[];
}

function sloBlock(pools: Pools, good: number, slo: Slo | undefined): ServingBlock['slo'] {
  if (!slo) return null;
  const p = slo.percentile ?? null;
  const checks: Record<string, { target_ms: number; value_ms: number | null; met: boolean | null }> = {};
  const keys = [
    ['ttft_ms', pools.ttft],
    ['tpot_ms', pools.tpot],
    ['itl_ms', pools.itl],
    ['e2el_ms', pools.e2el],
  ] as const;
  for (const [k, pool] of keys) {
    const target = slo[k];
    if (target === undefined) continue;
    const value = p === null ? null : percentileOf(pool, p);
    checks[k] = { target_ms: target, value_ms: value, met: value === null ? null : value <= target };
  }
  const verdicts = Object.values(checks).map((c) => c.met);
  const met = p === null || verdicts.includes(null) ? null : verdicts.every(Boolean);
  return { percentile: p, good_requests: good, checks, met };
}

/** Everything the load generator measured over the measured (non-warm-up) requests of a run. */
export function servingMetrics(records: readonly RequestRecord[], slo: Slo | undefined): ServingMetrics {
  const measured = records.filter((r) => !r.warmup);
  const ok = measured.filter(succeeded);
  const failures: Record<string, number> = {};
  for (const r of measured) if (r.errorClass !== null) failures[r.errorClass] = (failures[r.errorClass] ?? 0) + 1;
  const pools: Pools = { ttft: [], tpot: [], itl: [], e2el: [] };
  let good = 0;
  let output = 0;
  let input = 0;
  let inputKnown = ok.length > 0;
  for (const r of ok) {
    const l = requestLatency(r);
    pools.ttft.push(l.ttft);
    pools.e2el.push(l.e2el);
    if (l.tpot !== null) pools.tpot.push(l.tpot);
    for (const g of l.itls) pools.itl.push(g);
    if (slo && meetsSlo(l, slo)) good++;
    output += r.outputTokens;
    if (r.inputTokens === null) inputKnown = false;
    else input += r.inputTokens;
  }
  const start = Math.min(...measured.map((r) => r.sendMs));
  const end = Math.max(...measured.map((r) => r.finishMs));
  const duration = measured.length > 0 ? (end - start) / 1000 : 0;
  const per = (x: number): number => (duration > 0 ? x / duration : 0);
  const stats = (xs: number[]): LatencyStats | null => latencyStats(xs);
  return {
    requests: {
      total: measured.length,
      completed: ok.length,
      failed: measured.length - ok.length,
      warmup: records.length - measured.length,
      success_rate: measured.length > 0 ? ok.length / measured.length : null,
      failures,
    },
    duration_s: duration,
    throughput: {
      requests_per_s: per(ok.length),
      output_tokens_per_s: per(output),
      total_tokens_per_s: inputKnown ? per(input + output) : null,
      goodput_requests_per_s: slo ? per(good) : null,
    },
    tokens: {
      input: inputKnown ? input : null,
      output,
      from_usage: ok.length > 0 && ok.every((r) => r.tokensFromUsage),
    },
    latency: {
      definitions: SERVING_DEFINITIONS,
      ttft_ms: stats(pools.ttft),
      tpot_ms: stats(pools.tpot),
      itl_ms: stats(pools.itl),
      e2el_ms: stats(pools.e2el),
    },
    slo: sloBlock(pools, good, slo),
  };
}

/** Each endpoint's share of the measured requests and output tokens. */
export function workerShares(
  records: readonly RequestRecord[],
  urls: readonly string[],
  durationS: number,
): ServingBlock['workers'] {
  const measured = records.filter((r) => !r.warmup);
  const totalTokens = measured.reduce((s, r) => s + (succeeded(r) ? r.outputTokens : 0), 0);
  return urls.map((url, index) => {
    const mine = measured.filter((r) => r.worker === index);
    const done = mine.filter(succeeded);
    const tokens = done.reduce((s, r) => s + r.outputTokens, 0);
    return {
      index,
      url,
      requests: mine.length,
      completed: done.length,
      output_tokens: tokens,
      request_share: measured.length > 0 ? mine.length / measured.length : null,
      token_share: totalTokens > 0 ? tokens / totalTokens : null,
      output_tokens_per_s: durationS > 0 ? tokens / durationS : 0,
    };
  });
}

/**
 * Scaling efficiency of k workers against one: throughput(k) / (k × throughput(1)). 1 is perfect scaling; null
 * when the single-worker reference has no throughput.
 */
export function scalingEfficiency(throughputK: number, k: number, throughput1: number): number | null {
  return throughput1 > 0 && k > 0 ? throughputK / (k * throughput1) : null;
}
