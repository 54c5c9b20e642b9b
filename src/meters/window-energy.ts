import type { MeterSample } from './samples.js';

export interface DomainEnergy {
  readonly domain: string;
  readonly source: string;
  /** Energy over the window in joules; null when the samples cannot support a figure (see `invalid`). */
  readonly joules: number | null;
  readonly method: 'counter' | 'integral' | null;
  /** Median seconds between samples inside the window. */
  readonly cadence_s: number | null;
  /** Share of the window with samples close enough to trust (no gap longer than 2.5 cadences). */
  readonly coverage: number;
  readonly samples: number;
  readonly invalid: string | null;
}

export interface WindowOptions {
  readonly source: string;
  /** Coverage below this makes the figure invalid (ML.ENERGY requires 75 %). */
  readonly minCoverage?: number;
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Linear interpolation of a quantity at time t between the samples around it. */
function at(
  samples: readonly MeterSample[],
  t: number,
  pick: (s: MeterSample) => number | undefined,
): number | undefined {
  let before: MeterSample | undefined;
  for (const s of samples) {
    if (pick(s) === undefined) continue;
    if (s.t <= t) before = s;
    else {
      if (!before) return undefined;
      const a = pick(before)!;
      const b = pick(s)!;
      return a + ((b - a) * (t - before.t)) / (s.t - before.t);
    }
  }
  return before && before.t === t ? pick(before) : undefined;
}

/**
 * Share of [t0, t1] spanned by consecutive samples no further apart than `maxGap` (samples just outside the
 * window count, since they bound its edges).
 */
export function coverage(times: readonly number[], t0: number, t1: number, maxGap: number): number {
  if (t1 <= t0) return 0;
  const sorted = [...times].sort((a, b) => a - b);
  let covered = 0;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b - a > maxGap) continue;
    covered += Math.max(0, Math.min(b, t1) - Math.max(a, t0));
  }
  return covered / (t1 - t0);
}

/**
 * Energy of one domain over [t0, t1]: the counter's delta (interpolated at the edges) when the meter has a
 * counter, else the trapezoid integral of power. Negative counter deltas mean a reset: invalid, never clamped.
 */
export function windowEnergy(
  domain: string,
  samples: readonly MeterSample[],
  t0: number,
  t1: number,
  o: WindowOptions,
): DomainEnergy {
  const inside = samples.filter((s) => s.t >= t0 && s.t <= t1);
  // One meter may report power and a counter at the same instant: cadence is between distinct times.
  const times = [...new Set(samples.map((s) => s.t))].sort((a, b) => a - b);
  const insideTimes = times.filter((t) => t >= t0 && t <= t1);
  const gaps = insideTimes.slice(1).map((t, i) => t - insideTimes[i]!);
  const cadence = median(gaps);
  const cov = cadence === null ? 0 : coverage(times, t0, t1, 2.5 * cadence);
  const base = { domain, source: o.source, cadence_s: cadence, coverage: cov, samples: insideTimes.length };
  const fail = (why: string): DomainEnergy => ({ ...base, joules: null, method: null, invalid: why });
  if (insideTimes.length < 2) return fail(`${insideTimes.length} sample(s) in the ${(t1 - t0).toFixed(1)} s window`);
  if (cov < (o.minCoverage ?? 0.75))
    return fail(
      `samples cover ${(cov * 100).toFixed(0)} % of the window (minimum ${((o.minCoverage ?? 0.75) * 100).toFixed(0)} %)`,
    );
  const hasCounter = samples.some((s) => s.joules !== undefined);
  if (hasCounter) {
    const e0 = at(samples, t0, (s) => s.joules);
    const e1 = at(samples, t1, (s) => s.joules);
    if (e0 === undefined || e1 === undefined)
      return fail('the energy counter has no reading on both sides of the window edges');
    if (e1 < e0)
      return fail(`the energy counter went backwards by ${(e0 - e1).toFixed(3)} J: it was reset during the window`);
    return { ...base, joules: e1 - e0, method: 'counter', invalid: null };
  }
  const pts: [number, number][] = [];
  const w0 = at(samples, t0, (s) => s.watts);
  const w1 = at(samples, t1, (s) => s.watts);
  if (w0 !== undefined) pts.push([t0, w0]);
  for (const s of inside) if (s.watts !== undefined && s.t > t0 && s.t < t1) pts.push([s.t, s.watts]);
  if (w1 !== undefined) pts.push([t1, w1]);
  if (pts.length < 2) return fail('no power readings in the window');
  let joules = 0;
  for (let i = 1; i < pts.length; i++) joules += ((pts[i]![1] + pts[i - 1]![1]) / 2) * (pts[i]![0] - pts[i - 1]![0]);
  return { ...base, joules, method: 'integral', invalid: null };
}

/** Disagreement of two figures for the same thing, in % of the reference; null when either is missing. */
export function disagreementPct(reference: number | null, other: number | null): number | null {
  if (reference === null || other === null || reference === 0) return null;
  return ((other - reference) / reference) * 100;
}
