import type { DomainsBlock } from '../contract/domains.js';
import type { ResultDocument } from '../contract/result.js';
import { crossChecks, DEFAULT_DISAGREEMENT_THRESHOLD_PCT, energiesOf, type SourcedEnergy } from './domain-energies.js';
import { layersOf } from './layers.js';
import type { SourceSamples } from './samples.js';
import { steadyDomains } from './steady-domains.js';

/**
 * A result's `domains` block (pure): the harness's GPU figures from the result itself, the host meters' figures
 * cut at the measured window the harness reported, cross-checks between them, and the layers.
 */

export const NVML_SOURCE = 'nvml (harness)';

/** The harness's second GPU meter: its sampler's power readings integrated over the window. */
export const NVML_INTEGRAL_SOURCE = 'nvml (harness) power integral';

/**
 * The GPU figures the harness measured, as domain figures: per GPU the energy counter's delta and, where the
 * sampler ran, the power integral, so the cross-checks compare the two like any other pair of meters. The
 * counters come first (layers take a domain's first figure); a GPU without a counter figure lists its integral
 * first. One invalid `gpu` figure when the harness measured no GPU energy.
 */
export function gpuFigures(doc: ResultDocument): SourcedEnergy[] {
  const e = doc.energy;
  const base = { source: NVML_SOURCE, method: 'counter' as const, cadence_s: null, clock_offset_s: 0 };
  const samples = doc.sampler.samples;
  if (!e.available || e.per_gpu.length === 0) {
    const why = e.reason ?? 'the harness reported no GPU energy';
    return [{ ...base, domain: 'gpu', joules: null, method: null, coverage: 0, samples, invalid: why }];
  }
  // The counter is read at both edges of the window, so it covers all of it whatever the sampler did.
  const counters = e.per_gpu.map((g) => ({
    ...base,
    domain: `gpu:${g.index}`,
    joules: g.counter_j,
    method: g.counter_j === null ? null : base.method,
    coverage: g.counter_j === null ? 0 : 1,
    samples,
    invalid: g.counter_j === null ? 'the GPU energy counter gave no figure (see the result warnings)' : null,
  }));
  const integrals = e.per_gpu
    .filter((g) => g.integrated_j !== null)
    .map((g) => ({
      ...base,
      source: NVML_INTEGRAL_SOURCE,
      domain: `gpu:${g.index}`,
      joules: g.integrated_j,
      method: 'integral' as const,
      cadence_s: doc.sampler.interval_ms / 1000,
      coverage: doc.sampler.coverage ?? 0,
      samples,
      invalid: null,
    }));
  const counted = new Set(counters.filter((c) => c.joules !== null).map((c) => c.domain));
  return [
    ...integrals.filter((i) => !counted.has(i.domain)),
    ...counters,
    ...integrals.filter((i) => counted.has(i.domain)),
  ];
}

export interface ClockAssumption {
  readonly offset_s: number;
  readonly basis: string;
}

/** The local executor's containers share the host's kernel clock (CLOCK_REALTIME is not namespaced). */
export const SAME_HOST_CLOCK: ClockAssumption = {
  offset_s: 0,
  basis: "declared: the harness runs in a container on lem's host and reads the same kernel clock",
};

export function domainsBlock(
  doc: ResultDocument,
  host: readonly SourceSamples[] | { readonly error: string },
  clock: ClockAssumption,
  thresholdPct = DEFAULT_DISAGREEMENT_THRESHOLD_PCT,
): DomainsBlock {
  const w = doc.window;
  const window =
    w.start_unix_s !== undefined && w.end_unix_s !== undefined
      ? { start_unix_s: w.start_unix_s + clock.offset_s, end_unix_s: w.end_unix_s + clock.offset_s }
      : null;
  const gpu = gpuFigures(doc);
  let error: string | null = null;
  let hostFigures: SourcedEnergy[] = [];
  let notes: string[] = [];
  if ('error' in host) error = host.error;
  else if (window === null)
    error = "the result does not carry its measured window's wall-clock times (window.start_unix_s, end_unix_s)";
  else {
    hostFigures = energiesOf(host, window.start_unix_s, window.end_unix_s);
    notes = host.flatMap((s) => s.notes);
  }
  const energies = [...gpu, ...hostFigures];
  const { layers, node_check } = layersOf(energies, thresholdPct);
  const hostSamples = 'error' in host ? null : host;
  const steady = steadyDomains(doc, hostSamples, window?.start_unix_s ?? null, thresholdPct);
  if (steady === null) notes = [...notes, `no steady state: ${doc.serving?.windows.steady_reason ?? 'unknown'}`];
  return {
    ...(steady === undefined ? {} : { steady }),
    window,
    clock,
    threshold_pct: thresholdPct,
    energies,
    cross_checks: crossChecks(energies, thresholdPct),
    layers: error === null ? layers : withError(layers, error),
    node_check,
    notes,
    error,
  };
}

/** Layers the host meters would have given are missing because of `error`, not because nothing was configured. */
function withError(layers: DomainsBlock['layers'], error: string): DomainsBlock['layers'] {
  const out = { ...layers };
  for (const k of ['cpu', 'dram', 'node', 'rest_of_node'] as const)
    if (out[k].joules === null) out[k] = { ...out[k], missing: `host meters failed: ${error}` };
  return out;
}
