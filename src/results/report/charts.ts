import type { TopLevelSpec } from 'vega-lite';
import type { CollectedResult } from '../collect.js';
import { paretoFront } from '../pareto.js';
import { rowKey } from '../rows.js';
import type { PowerSeries } from '../samples.js';
import type { ConfigSummary } from '../summary.js';

/**
 * Plot widths in SVG units, sized so that a chart with its axis labels and legend is about 1,100 units wide: the
 * page stretches each SVG to the full width of its section (its viewBox keeps the proportions), so text stays near
 * its set size on a laptop screen and the chart shrinks with the window on a narrow one. Rows labelled by
 * configuration give about 330 units to the labels.
 */
const WIDE_PLOT = 900;
const LABELLED_PLOT = 680;

/**
 * Vega-Lite specs for the report's charts (pure data → spec; rendering is render-svg.ts). No "$schema" and no
 * remote data: the report must not name a single URL.
 */

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
} as const;

/** Charts with one row per configuration stay readable up to this many rows. */
export const MAX_ROWS = 60;

export interface ParetoDatum {
  label: string;
  backend: string;
  tps: number;
  jpt: number;
  lo: number | null;
  hi: number | null;
  front: 'Pareto front' | 'dominated';
}

export function paretoData(summaries: readonly ConfigSummary[], metricKey = 'j_per_output_token'): ParetoDatum[] {
  const points = summaries.flatMap((s) => {
    const e = s.metrics[metricKey];
    const t = s.metrics['output_tokens_per_s'];
    return e?.mean != null && t?.mean != null ? [{ s, jpt: e.mean, tps: t.mean, lo: e.ci_low, hi: e.ci_high }] : [];
  });
  const front = new Set(paretoFront(points.map((p) => ({ id: p.s.config_hash, throughput: p.tps, energy: p.jpt }))));
  return points.map((p) => ({
    label: p.s.label,
    backend: p.s.backend,
    tps: p.tps,
    jpt: p.jpt,
    lo: p.lo,
    hi: p.hi,
    front: front.has(p.s.config_hash) ? 'Pareto front' : 'dominated',
  }));
}

/** Points on the front, by throughput ascending: the numbers drawn beside them (1, 2, …) index this list. */
export function paretoFrontList(data: readonly ParetoDatum[]): ParetoDatum[] {
  return data.filter((d) => d.front === 'Pareto front').sort((a, b) => a.tps - b.tps);
}

/**
 * A log axis when values span more than `ratio`× (throughput across batch sizes, J/token across engines), with the
 * domain fitted to the data: "nice" log domains pad to the next power of ten and waste half the plot.
 */
function axisScale(values: readonly number[], ratio: number, zero: boolean): { type: 'log' | 'linear'; domain?: number[]; nice?: boolean; zero?: boolean } {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo > 0 && hi / lo > ratio) return { type: 'log', domain: [lo / 1.25, hi * 1.25], nice: false };
  return { type: 'linear', zero };
}

export function paretoSpec(data: readonly ParetoDatum[]): TopLevelSpec {
  const front = paretoFrontList(data).map((d, i) => ({ ...d, rank: String(i + 1) }));
  const x = { field: 'tps', type: 'quantitative', title: 'Output tokens/s (mean over cycles)', scale: axisScale(data.map((d) => d.tps), 20, false) } as const;
  const energies = data.flatMap((d) => [d.jpt, d.lo ?? d.jpt, d.hi ?? d.jpt]);
  const y = { field: 'jpt', type: 'quantitative', title: 'J per output token (mean, 95 % CI)', scale: axisScale(energies, 5, true) } as const;
  return {
    config: CONFIG,
    width: WIDE_PLOT,
    height: 380,
    layer: [
      {
        data: { values: data.filter((d) => d.lo !== null && d.hi !== null) },
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'backend', type: 'nominal', title: 'Backend' } },
      },
      {
        data: { values: front },
        mark: { type: 'line', color: '#222', strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'tps', type: 'quantitative' } },
      },
      {
        data: { values: data as ParetoDatum[] },
        mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
        encoding: {
          x,
          y,
          color: { field: 'backend', type: 'nominal', title: 'Backend' },
          shape: { field: 'front', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['diamond', 'circle'] } },
        },
      },
      {
        // Numbers, not names: front points sit close together and full labels would overprint; the caption lists them.
        data: { values: front },
        mark: { type: 'text', align: 'left', dx: 7, dy: -9, fontSize: 11, fontWeight: 'bold', color: '#222' },
        encoding: { x, y, text: { field: 'rank', type: 'nominal' } },
      },
    ],
  };
}

export interface CycleDatum {
  label: string;
  backend: string;
  value: number;
  /** (value − mean of its configuration) / mean, in percent: spread across cycles on one axis for all configurations. */
  deviation_pct: number;
}

/**
 * One value per experiment (cycle) for a box plot; rows limited to `labels`. Configurations differ by an order of
 * magnitude (0.07 to 1.2 J/token) while cycles differ by a few percent, so on an absolute axis every box would be a
 * speck: the boxes show each cycle's deviation from its configuration's mean (absolute means are in the table and
 * the Pareto chart).
 */
export function cycleData(results: readonly CollectedResult[], labels: ReadonlyMap<string, string>, get: (r: CollectedResult) => number | null): CycleDatum[] {
  const rows = results.flatMap((r) => {
    const label = labels.get(rowKey(r.doc));
    const value = get(r);
    return label === undefined || value === null ? [] : [{ label, backend: r.doc.experiment.backend, value }];
  });
  const sums = new Map<string, { s: number; n: number }>();
  for (const r of rows) {
    const a = sums.get(r.label) ?? { s: 0, n: 0 };
    a.s += r.value;
    a.n++;
    sums.set(r.label, a);
  }
  return rows.map((r) => {
    const a = sums.get(r.label)!;
    const m = a.s / a.n;
    return { ...r, deviation_pct: m === 0 ? 0 : ((r.value - m) / Math.abs(m)) * 100 };
  });
}

export function boxPlotSpec(data: readonly CycleDatum[], order: readonly string[], metric: string): TopLevelSpec {
  return {
    config: CONFIG,
    width: LABELLED_PLOT,
    height: { step: 22 },
    data: { values: data as CycleDatum[] },
    layer: [
      {
        mark: { type: 'rule', color: '#999', strokeDash: [3, 3] },
        encoding: { x: { datum: 0, type: 'quantitative' } },
      },
      {
        mark: { type: 'boxplot', extent: 1.5, size: 14 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: [...order], title: null, axis: { labelLimit: 320 } },
          x: { field: 'deviation_pct', type: 'quantitative', title: `${metric}: deviation from the configuration's mean (%)` },
          color: { field: 'backend', type: 'nominal', title: 'Backend' },
        },
      },
    ],
  };
}

export interface PercentileDatum {
  label: string;
  percentile: string;
  ms: number;
}

const PERCENTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/** Mean over cycles of each latency percentile per configuration. */
export function percentileData(
  results: readonly CollectedResult[],
  labels: ReadonlyMap<string, string>,
  dist: (r: CollectedResult) => { p50: number; p90: number; p95: number; p99: number } | null,
): PercentileDatum[] {
  const acc = new Map<string, { sums: number[]; n: number }>();
  for (const r of results) {
    const label = labels.get(rowKey(r.doc));
    const d = dist(r);
    if (label === undefined || d === null) continue;
    const a = acc.get(label) ?? { sums: [0, 0, 0, 0], n: 0 };
    PERCENTILES.forEach((p, i) => (a.sums[i]! += d[p]));
    a.n++;
    acc.set(label, a);
  }
  return [...acc].flatMap(([label, a]) => PERCENTILES.map((p, i) => ({ label, percentile: p, ms: a.sums[i]! / a.n })));
}

export function percentileBarsSpec(data: readonly PercentileDatum[], order: readonly string[], title: string): TopLevelSpec {
  return {
    config: CONFIG,
    width: LABELLED_PLOT,
    height: { step: 9 },
    data: { values: data as PercentileDatum[] },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: [...order], title: null, axis: { labelLimit: 320 } },
      yOffset: { field: 'percentile', type: 'ordinal', sort: [...PERCENTILES] },
      x: { field: 'ms', type: 'quantitative', title },
      color: { field: 'percentile', type: 'ordinal', sort: [...PERCENTILES], title: 'Percentile', scale: { range: ['#9ecae1', '#6baed6', '#3182bd', '#08519c'] } },
    },
  };
}

const PHASE_COLORS: Record<string, string> = { baseline: '#bdbdbd', warmup: '#fdd49e', measured: '#c7e9c0' };

export function powerSpec(series: PowerSeries): TopLevelSpec {
  const phases = [...new Set(series.phases.map((p) => p.phase))];
  return {
    config: CONFIG,
    width: WIDE_PLOT,
    height: 260,
    resolve: { scale: { color: 'independent' } },
    layer: [
      {
        data: { values: series.phases },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: {
          x: { field: 'start', type: 'quantitative', scale: { nice: false } },
          x2: { field: 'end' },
          color: { field: 'phase', type: 'nominal', title: 'Phase', scale: { domain: phases, range: phases.map((p) => PHASE_COLORS[p] ?? '#deebf7') } },
        },
      },
      {
        data: { values: series.points },
        mark: { type: 'line', strokeWidth: 1.2, interpolate: 'linear' },
        encoding: {
          x: { field: 't_s', type: 'quantitative', title: 'Time since first sample (s)', scale: { nice: false } },
          y: { field: 'power_w', type: 'quantitative', title: 'GPU power (W)' },
          color: { field: 'series', type: 'nominal', title: 'GPU' },
          detail: { field: 'segment', type: 'nominal' },
        },
      },
    ],
  };
}
