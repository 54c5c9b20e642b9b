import type { SteadyDomains } from '../contract/domains.js';
import type { ResultDocument } from '../contract/result.js';
import { crossChecks, energiesOf, type SourcedEnergy } from './domain-energies.js';
import { layersOf } from './layers.js';
import type { SourceSamples } from './samples.js';

/**
 * The serve steady state's per-domain figures (pure). ML.ENERGY reports a server's energy over the whole run and
 * over the steady state (every slot busy); the serving block already has both for the GPU, and this cuts the host
 * meters at the same steady window, so CPU, DRAM and node layers exist for it too. Offline results have no
 * steady window: undefined.
 */

/** The serving sampler's steady-state GPU energy as one `gpu` domain figure (or invalid, with the reason). */
function steadyGpu(serving: NonNullable<ResultDocument['serving']>): SourcedEnergy {
  const e = serving.energy;
  const base = { domain: 'gpu', source: e.source ?? 'nvml (serving sampler)', cadence_s: null, clock_offset_s: 0 };
  const why = e.simulated
    ? "simulated by the synthetic server's power model, not measured"
    : e.steady_j === null
      ? (e.reason ?? 'the serving sampler gave no steady-state GPU energy')
      : null;
  if (why !== null) return { ...base, joules: null, method: null, coverage: 0, samples: 0, invalid: why };
  return { ...base, joules: e.steady_j, method: 'counter', coverage: 1, samples: 0, invalid: null };
}

export function steadyDomains(
  doc: ResultDocument,
  host: readonly SourceSamples[] | null,
  wholeStartUnixS: number | null,
  thresholdPct: number,
): SteadyDomains | null | undefined {
  const serving = doc.serving;
  if (serving === undefined) return undefined;
  // Without the whole window's wall-clock start the block already says why nothing could be cut.
  if (wholeStartUnixS === null) return undefined;
  const steady = serving.windows.steady;
  if (steady === null) return null;
  // The serving block's offsets count from the load's start; the whole window's start is on lem's clock.
  const start = wholeStartUnixS + (steady.start_ms - serving.windows.whole.start_ms) / 1000;
  const window = { start_unix_s: start, end_unix_s: start + (steady.end_ms - steady.start_ms) / 1000 };
  const energies = [steadyGpu(serving), ...(host === null ? [] : energiesOf(host, start, window.end_unix_s))];
  const { layers, node_check } = layersOf(energies, thresholdPct);
  return { window, energies, cross_checks: crossChecks(energies, thresholdPct), layers, node_check };
}
