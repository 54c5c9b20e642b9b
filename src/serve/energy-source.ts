import type { ServingBlock } from '../contract/serving.js';

/**
 * Where a serve experiment's energy comes from. NVML in the backend's container covers a lem-started server on a
 * GPU; other meters (RAPL, powermetrics, DCGM or nvidia-smi logs, PDUs) plug in here as further sources. Windows
 * are wall-clock epoch milliseconds, so any meter with timestamped samples can answer.
 */
export interface EnergySource {
  readonly name: string;
  /** Gross joules over [startMs, endMs], and the idle baseline power if the source measured one. */
  energy(startMs: number, endMs: number): Promise<{ joules: number; baselineW: number | null } | null>;
}

/** Energy figures of a serve experiment; all null with the reason when no source measures this server. */
export async function servingEnergy(
  source: EnergySource | null,
  reason: string,
  w: {
    epochMs: number;
    whole: { start_ms: number; end_ms: number };
    steady: { start_ms: number; end_ms: number } | null;
  },
  counts: { completed: number; outputTokens: number; steadyTokens: number },
): Promise<ServingBlock['energy']> {
  const none = {
    available: false,
    reason,
    whole_j: null,
    steady_j: null,
    j_per_request: null,
    j_per_output_token: null,
    adjusted_j_per_output_token: null,
    steady_j_per_output_token: null,
  };
  if (source === null) return none;
  const whole = await source.energy(w.epochMs + w.whole.start_ms, w.epochMs + w.whole.end_ms);
  if (whole === null) return { ...none, reason: `${source.name} gave no reading for the load window` };
  const seconds = (w.whole.end_ms - w.whole.start_ms) / 1000;
  const adjusted = whole.baselineW === null ? null : whole.joules - whole.baselineW * seconds;
  const steady = w.steady ? await source.energy(w.epochMs + w.steady.start_ms, w.epochMs + w.steady.end_ms) : null;
  const per = (x: number | null, n: number): number | null => (x === null || n <= 0 ? null : x / n);
  return {
    available: true,
    reason: null,
    whole_j: whole.joules,
    steady_j: steady?.joules ?? null,
    j_per_request: per(whole.joules, counts.completed),
    j_per_output_token: per(whole.joules, counts.outputTokens),
    adjusted_j_per_output_token: per(adjusted, counts.outputTokens),
    steady_j_per_output_token: per(steady?.joules ?? null, counts.steadyTokens),
  };
}
