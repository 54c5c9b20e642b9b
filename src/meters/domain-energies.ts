import type { MeterSample, SourceSamples } from './samples.js';
import { byDomain } from './samples.js';
import { disagreementPct, windowEnergy, type DomainEnergy } from './window-energy.js';

/** One domain's figure from one source, with the clock offset that placed its samples on lem's clock. */
export interface SourcedEnergy extends DomainEnergy {
  readonly clock_offset_s: number;
}

/** Two figures for the same domain: `other` against `reference`, in % of the reference. */
export interface CrossCheck {
  readonly domain: string;
  readonly reference: string;
  readonly other: string;
  readonly reference_j: number | null;
  readonly other_j: number | null;
  /** null when either figure is missing (invalid) or the reference is zero. */
  readonly disagreement_pct: number | null;
  /** |disagreement| above the threshold. */
  readonly flagged: boolean;
}

export interface DomainReport {
  readonly t0: number;
  readonly t1: number;
  readonly threshold_pct: number;
  readonly energies: readonly SourcedEnergy[];
  readonly cross_checks: readonly CrossCheck[];
  /** What the sources said while being read (skipped lines, reordering, averaged power), kept for the result. */
  readonly notes: readonly string[];
}

export interface DomainOptions {
  /** Disagreement above this (in %, either sign) is flagged. */
  readonly thresholdPct?: number;
  readonly minCoverage?: number;
}

export const DEFAULT_DISAGREEMENT_THRESHOLD_PCT = 5;

/**
 * Per source and domain, the energy over [t0, t1] (lem's clock). A meter reporting both a counter and power
 * for a domain (DCGM's energy counter and power gauge) gives two figures: the counter's delta, and the
 * power integral as "<source> (power integral)", since the two disagreeing is exactly what a cross-check is for.
 */
export function energiesOf(
  sources: readonly SourceSamples[],
  t0: number,
  t1: number,
  o: DomainOptions = {},
): SourcedEnergy[] {
  const window = { ...(o.minCoverage !== undefined ? { minCoverage: o.minCoverage } : {}) };
  const out: SourcedEnergy[] = [];
  for (const s of sources) {
    for (const [domain, samples] of byDomain(s.samples)) {
      const figure = (source: string, xs: readonly MeterSample[]): SourcedEnergy => ({
        ...windowEnergy(domain, xs, t0, t1, { source, ...window }),
        clock_offset_s: s.clockOffsetS,
      });
      out.push(figure(s.source, samples));
      const hasCounter = samples.some((x) => x.joules !== undefined);
      const power = samples.filter((x) => x.watts !== undefined).map(({ joules: _j, ...rest }) => rest);
      if (hasCounter && power.length > 0) out.push(figure(`${s.source} (power integral)`, power));
    }
  }
  return out;
}

/** Every pair seeing the same domain: each later figure against the first one listed for that domain. */
export function crossChecks(
  energies: readonly SourcedEnergy[],
  thresholdPct = DEFAULT_DISAGREEMENT_THRESHOLD_PCT,
): CrossCheck[] {
  const first = new Map<string, SourcedEnergy>();
  const out: CrossCheck[] = [];
  for (const e of energies) {
    const ref = first.get(e.domain);
    if (!ref) {
      first.set(e.domain, e);
      continue;
    }
    const pct = disagreementPct(ref.joules, e.joules);
    out.push({
      domain: e.domain,
      reference: ref.source,
      other: e.source,
      reference_j: ref.joules,
      other_j: e.joules,
      disagreement_pct: pct,
      flagged: pct !== null && Math.abs(pct) > thresholdPct,
    });
  }
  return out;
}

export function domainReport(
  sources: readonly SourceSamples[],
  t0: number,
  t1: number,
  o: DomainOptions = {},
): DomainReport {
  const threshold = o.thresholdPct ?? DEFAULT_DISAGREEMENT_THRESHOLD_PCT;
  const energies = energiesOf(sources, t0, t1, o);
  const cross = crossChecks(energies, threshold);
  return { t0, t1, threshold_pct: threshold, energies, cross_checks: cross, notes: sources.flatMap((s) => s.notes) };
}
