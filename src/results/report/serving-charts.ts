import type { TopLevelSpec } from 'vega-lite';
import type { CollectedResult } from '../collect.js';

/** One serve-mode run as a point on a load curve. */
export interface ServingPoint {
  readonly series: string;
  /** Concurrency (closed loop) or requests/s (open loop). */
  readonly load: number;
  readonly loadKind: 'concurrency' | 'rate';
  readonly outputTokensPerS: number;
  readonly latencies: readonly { metric: string; ms: number }[];
  readonly jPerOutputToken: number | null;
  /** p99 TPOT (ms), the per-token latency an SLO names; E2E p99 when no request streamed two tokens. */
  readonly latencyP99Ms: number | null;
}

/** The serve-mode results as load-curve points (offline results are skipped). */
export function servingPoints(results: readonly CollectedResult[]): ServingPoint[] {
  const out: ServingPoint[] = [];
  for (const r of results) {
    const s = r.doc.serving;
    if (!s) continue;
    const load = s.load.concurrency ?? s.load.rate;
    if (load === null) continue;
    const name = (r.doc.experiment.config['model'] as { name?: unknown } | undefined)?.name;
    const model = typeof name === 'string' ? name : '';
    // A server lem started is named by its backend: its URL's port is whatever Docker picked that run.
    const backend = r.doc.experiment.backend;
    const where =
      backend !== 'external'
        ? `${backend} server`
        : s.workers.length > 1
          ? `${s.workers.length} endpoints`
          : (s.workers[0]?.url ?? backend);
    const latencies: { metric: string; ms: number }[] = [];
    const add = (metric: string, v: number | undefined): void =>
      void (v !== undefined && latencies.push({ metric, ms: v }));
    add('TTFT p50', s.latency.ttft_ms?.p50);
    add('TTFT p99', s.latency.ttft_ms?.p99);
    add('ITL p50', s.latency.itl_ms?.p50);
    add('ITL p99', s.latency.itl_ms?.p99);
    out.push({
      series: `${model} @ ${where} (${s.load.loop} loop)`,
      load,
      loadKind: s.load.concurrency !== null ? 'concurrency' : 'rate',
      outputTokensPerS: s.throughput.output_tokens_per_s,
      latencies,
      jPerOutputToken: s.energy.steady_j_per_output_token ?? s.energy.j_per_output_token,
      latencyP99Ms: s.latency.tpot_ms?.p99 ?? s.latency.e2el_ms?.p99 ?? null,
    });
  }
  return out;
}

const loadAxis = (points: readonly ServingPoint[]) => ({
  field: 'load',
  type: 'quantitative' as const,
  title: points.every((p) => p.loadKind === 'concurrency') ? 'Concurrent users' : 'Load (users or requests/s)',
  scale: { type: 'log' as const, base: 2 },
});

/** Output tokens/s against load, one line per server and model (mean over cycles). */
export function throughputVsLoadSpec(points: readonly ServingPoint[]): TopLevelSpec {
  return {
    width: 520,
    height: 260,
    data: { values: points.map((p) => ({ series: p.series, load: p.load, tps: p.outputTokensPerS })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: loadAxis(points),
      y: { aggregate: 'mean', field: 'tps', type: 'quantitative', title: 'Output tokens/s' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
    },
  };
}

/** TTFT and ITL percentiles against load (log scale: tails grow by orders of magnitude near saturation). */
export function latencyVsLoadSpec(points: readonly ServingPoint[]): TopLevelSpec {
  const values = points.flatMap((p) =>
    p.latencies.map((l) => ({ series: p.series, load: p.load, metric: l.metric, ms: l.ms })),
  );
  return {
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: loadAxis(points),
      y: {
        aggregate: 'mean',
        field: 'ms',
        type: 'quantitative',
        title: 'ms (mean over cycles)',
        scale: { type: 'log' },
      },
      color: { field: 'metric', type: 'nominal', title: null },
      strokeDash: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
    },
  };
}

/** J per output token against load (steady state where measured), or null when no run has energy. */
export function energyVsLoadSpec(points: readonly ServingPoint[]): TopLevelSpec | null {
  const values = points
    .filter((p) => p.jPerOutputToken !== null)
    .map((p) => ({ series: p.series, load: p.load, jpt: p.jPerOutputToken }));
  if (values.length === 0) return null;
  return {
    width: 520,
    height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: loadAxis(points),
      y: { aggregate: 'mean', field: 'jpt', type: 'quantitative', title: 'J per output token' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
    },
  };
}
