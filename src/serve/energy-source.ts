import type { ServingBlock } from '../contract/serving.js';

/**
 * Where a serve experiment's energy comes from. NVML in the backend's container covers a lem-started server on a
 * GPU; other meters (RAPL, powermetrics, DCGM or nvidia-smi logs, PDUs) plug in here as further sources. Windows
 * are wall-clock epoch milliseconds, so any meter with timestamped samples can answer.
 */
export interface EnergySource {
  readonly name: string;
  /** True when the figures are not measured but modelled (the synthetic server's power model). */
  readonly simulated?: boolean;
  /** Gross joules over [startMs, endMs], and the idle baseline power if the source measured one. */
  energy(startMs: number, endMs: number): Promise<{ joules: number; baselineW: number | null } | null>;
  /** Why the last energy() gave no reading (NVML absent, samples not covering the window), if the source knows. */
  whyNone?(): string | undefined;
}

type Energy = ServingBlock['energy'];

export interface EnergyCounts {
  readonly completed: number;
  readonly outputTokens: number;
  readonly steadyTokens: number;
}

export interface EnergyWindows {
  readonly epochMs: number;
  readonly whole: { start_ms: number; end_ms: number };
  readonly steady: { start_ms: number; end_ms: number; share?: number } | null;
}

const per = (x: number | null, n: number): number | null => (x === null || n <= 0 ? null : x / n);

function none(reason: string, source: EnergySource | null): Energy {
  return {
    available: false,
    reason,
    whole_j: null,
    steady_j: null,
    j_per_request: null,
    j_per_output_token: null,
    adjusted_j_per_output_token: null,
    steady_j_per_output_token: null,
    source: source?.name ?? null,
    simulated: source?.simulated ?? false,
    baseline_w: null,
    adjusted_j_per_request: null,
    steady_j_per_request: null,
    steady_adjusted_j_per_output_token: null,
    steady_share: null,
  };
}

/**
 * Energy figures of a serve experiment, whole run and steady state side by side (ML.ENERGY reports both), raw and
 * idle-adjusted (baseline power × the window's seconds subtracted). Steady J/request is steady J/output token times
 * the run's mean output tokens per request: requests straddle the window's edges, tokens do not. All null with the
 * reason when no source measures this server.
 */
export async function servingEnergy(
  source: EnergySource | null,
  reason: string,
  w: EnergyWindows,
  counts: EnergyCounts,
): Promise<Energy> {
  if (source === null) return none(reason, null);
  const whole = await source.energy(w.epochMs + w.whole.start_ms, w.epochMs + w.whole.end_ms);
  if (whole === null) {
    const why = source.whyNone?.();
    return none(`${source.name} gave no reading for the load window${why ? `: ${why}` : ''}`, source);
  }
  const adjust = (j: number, ms: number): number | null =>
    whole.baselineW === null ? null : j - (whole.baselineW * ms) / 1000;
  const adjusted = adjust(whole.joules, w.whole.end_ms - w.whole.start_ms);
  const steady = w.steady ? await source.energy(w.epochMs + w.steady.start_ms, w.epochMs + w.steady.end_ms) : null;
  const steadyAdjusted = steady && w.steady ? adjust(steady.joules, w.steady.end_ms - w.steady.start_ms) : null;
  const steadyPerToken = per(steady?.joules ?? null, counts.steadyTokens);
  const tokensPerRequest = per(counts.outputTokens, counts.completed);
  return {
    available: true,
    reason: null,
    whole_j: whole.joules,
    steady_j: steady?.joules ?? null,
    j_per_request: per(whole.joules, counts.completed),
    j_per_output_token: per(whole.joules, counts.outputTokens),
    adjusted_j_per_output_token: per(adjusted, counts.outputTokens),
    steady_j_per_output_token: steadyPerToken,
    source: source.name,
    simulated: source.simulated ?? false,
    baseline_w: whole.baselineW,
    adjusted_j_per_request: per(adjusted, counts.completed),
    steady_j_per_request:
      steadyPerToken === null || tokensPerRequest === null ? null : steadyPerToken * tokensPerRequest,
    steady_adjusted_j_per_output_token: per(steadyAdjusted, counts.steadyTokens),
    steady_share: w.steady?.share ?? null,
  };
}
