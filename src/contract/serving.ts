import { z } from 'zod';

/**
 * The `serving` block of a serve-mode result: what the load generator measured, with latency metrics defined
 * as vLLM `bench serve` defines them (named in `latency.definitions`). Offline results have no such block.
 */
const num = z.number();
const nnum = z.number().nullable();

export const LatencyStats = z.strictObject({
  n: z.int().nonnegative(),
  mean: num,
  median: num,
  std: num,
  p50: num,
  p90: num,
  p95: num,
  p99: num,
  min: num,
  max: num,
});
export type LatencyStats = z.infer<typeof LatencyStats>;

const Window = z.strictObject({ start_ms: num, end_ms: num });

export const SloCheck = z.strictObject({ target_ms: num, value_ms: nnum, met: z.boolean().nullable() });

/**
 * lem's own lateness over the measured window (schema v6): the event loop's delay beyond its 10 ms probe, in ms
 * (null without probes), and the CPU lem's process used. Token times lag by about the loop's delay.
 */
export const ClientHealth = z.strictObject({
  loop_delay_ms: z.strictObject({ p50: nnum, p90: nnum, p99: nnum, max: nnum }),
  probes: z.int().nonnegative(),
  cpu_s: num,
  /** cpu_s over the window's wall time: 1.0 is one core fully busy. */
  cpu_share: nnum,
});
export type ClientHealth = z.infer<typeof ClientHealth>;

export const ServingBlock = z.strictObject({
  load: z.strictObject({
    loop: z.enum(['closed', 'open']),
    concurrency: z.int().positive().nullable(),
    rate: z.number().positive().nullable(),
    arrival: z.string().nullable(),
    burstiness: nnum,
    seed: z.int().nonnegative(),
  }),
  requests: z.strictObject({
    /** Measured requests (warm-up excluded). */
    total: z.int().nonnegative(),
    completed: z.int().nonnegative(),
    failed: z.int().nonnegative(),
    warmup: z.int().nonnegative(),
    success_rate: nnum,
    /** Failed requests by error class (connect_refused, http_500, timeout, stalled, malformed_sse, ...). */
    failures: z.record(z.string(), z.int().positive()),
  }),
  /** First measured send to last measured finish, seconds (the denominator of every rate below). */
  duration_s: num,
  throughput: z.strictObject({
    requests_per_s: num,
    output_tokens_per_s: num,
    total_tokens_per_s: nnum,
    /** Requests that met every SLO, per second; null when no SLO is configured. */
    goodput_requests_per_s: nnum,
  }),
  tokens: z.strictObject({
    input: z.int().nonnegative().nullable(),
    output: z.int().nonnegative(),
    /** True when every completed request's output count came from the server's `usage`, not from chunk counts. */
    from_usage: z.boolean(),
  }),
  latency: z.strictObject({
    definitions: z.record(z.string(), z.string()),
    ttft_ms: LatencyStats.nullable(),
    tpot_ms: LatencyStats.nullable(),
    itl_ms: LatencyStats.nullable(),
    e2el_ms: LatencyStats.nullable(),
  }),
  slo: z
    .strictObject({
      percentile: nnum,
      good_requests: z.int().nonnegative(),
      checks: z.record(z.string(), SloCheck),
      met: z.boolean().nullable(),
    })
    .nullable(),
  workers: z.array(
    z.strictObject({
      index: z.int().nonnegative(),
      url: z.string(),
      requests: z.int().nonnegative(),
      completed: z.int().nonnegative(),
      output_tokens: z.int().nonnegative(),
      request_share: nnum,
      token_share: nnum,
      output_tokens_per_s: num,
    }),
  ),
  windows: z.strictObject({
    whole: Window,
    /** ML.ENERGY's steady state; null (with the reason) when the load never filled its slots. */
    steady: Window.extend({ share: num }).nullable(),
    steady_reason: z.string().nullable(),
  }),
  energy: z.strictObject({
    available: z.boolean(),
    reason: z.string().nullable(),
    whole_j: nnum,
    steady_j: nnum,
    j_per_request: nnum,
    j_per_output_token: nnum,
    adjusted_j_per_output_token: nnum,
    steady_j_per_output_token: nnum,
    // Added with lem-started servers; absent in serve results written before (they still validate and aggregate).
    /** Which source measured it: nvml, or simulated (the synthetic server's power model: not a measurement). */
    source: z.string().nullable().optional(),
    simulated: z.boolean().optional(),
    /** Power with the server loaded and no request in flight, measured just before the load; subtracted below. */
    baseline_w: nnum.optional(),
    adjusted_j_per_request: nnum.optional(),
    steady_j_per_request: nnum.optional(),
    steady_adjusted_j_per_output_token: nnum.optional(),
    /** The steady window's share of the whole run's duration (as windows.steady.share). */
    steady_share: nnum.optional(),
  }),
  files: z.strictObject({ requests_csv: z.string() }),
  /** Absent in results written before schema v6. */
  client: ClientHealth.optional(),
});
export type ServingBlock = z.infer<typeof ServingBlock>;
