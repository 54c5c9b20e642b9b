/**
 * The throughput–latency–energy Pareto front of serve runs: a configuration (server and load) is on the front when no
 * other one is at least as fast (output tokens/s), at least as quick (p99 TPOT) and at least as frugal (J/output
 * token) while strictly better on one of the three. What a user picks an operating point from.
 */
export interface ServeOperatingPoint {
  readonly id: string;
  /** Higher is better. */
  readonly throughput: number;
  /** Lower is better (ms). */
  readonly latency: number;
  /** Lower is better (J per output token). */
  readonly energy: number;
}

/** True when `a` is at least as good as `b` on every axis and strictly better on one. */
export function dominates(a: ServeOperatingPoint, b: ServeOperatingPoint): boolean {
  const noWorse = a.throughput >= b.throughput && a.latency <= b.latency && a.energy <= b.energy;
  const better = a.throughput > b.throughput || a.latency < b.latency || a.energy < b.energy;
  return noWorse && better;
}

/** Points no other point dominates, by throughput (ascending). Quadratic: a report has tens of points, not millions. */
export function paretoFront3(points: readonly ServeOperatingPoint[]): ServeOperatingPoint[] {
  return points
    .filter((p) => !points.some((q) => dominates(q, p)))
    .sort((a, b) => a.throughput - b.throughput || a.latency - b.latency || a.energy - b.energy);
}

export interface LoadRun {
  readonly series: string;
  readonly load: number;
  readonly throughput: number;
  readonly latency: number | null;
  readonly energy: number | null;
}

/** Runs averaged over cycles per (series, load); those without latency or energy cannot be placed and are left out. */
export function operatingPoints(runs: readonly LoadRun[]): ServeOperatingPoint[] {
  const groups = new Map<string, LoadRun[]>();
  for (const r of runs) {
    if (r.latency === null || r.energy === null) continue;
    const key = `${r.series} @ load ${r.load}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  return [...groups].map(([id, rs]) => ({
    id,
    throughput: mean(rs.map((r) => r.throughput)),
    latency: mean(rs.map((r) => r.latency!)),
    energy: mean(rs.map((r) => r.energy!)),
  }));
}
