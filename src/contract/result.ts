import { z } from 'zod';
import { PlacementBlock } from './placement.js';
import { DomainsBlock } from './domains.js';
import { MeasureWindow } from './measure-window.js';
import { ServingBlock } from './serving.js';

/**
 * The result document (schema version 4) the harness writes to <results>/<campaign>/<experiment>/result.json.
 * Fields the engine or the machine cannot provide are null, never invented; `warnings` says why.
 * Version 3 documents are still read: result-migrate.ts turns them into version 4 (result-v3.ts holds their schema).
 */
const num = z.number();
const nnum = z.number().nullable();

export const Distribution = z.strictObject({
  n: z.int().nonnegative(),
  mean: num,
  p50: num,
  p90: num,
  p95: num,
  p99: num,
  min: num,
  max: num,
});
export type Distribution = z.infer<typeof Distribution>;

export const GpuInfo = z.strictObject({
  index: z.int().nonnegative(),
  name: z.string(),
  uuid: z.string(),
  memory_total_mib: nnum,
  power_limit_w: nnum,
  power_default_limit_w: nnum,
  persistence_mode: z.boolean().nullable(),
  mig_mode: z.boolean().nullable(),
  ecc_enabled: z.boolean().nullable(),
  temperature_c_start: nnum,
  compute_capability: z.string().nullable(),
});

export const Environment = z.strictObject({
  nvml_available: z.boolean(),
  nvml_error: z.string().nullable(),
  gpus: z.array(GpuInfo),
  driver_version: z.string().nullable(),
  cuda_version: z.string().nullable(),
  cpu: z.strictObject({ model: z.string().nullable(), governor: z.string().nullable(), cores: z.int().nullable() }),
  container: z.strictObject({
    in_container: z.boolean(),
    image: z.string().nullable(),
    hostname: z.string().nullable(),
  }),
  python_version: z.string(),
  platform: z.string(),
  engine: z.strictObject({ name: z.string(), version: z.string().nullable() }),
  harness_version: z.string(),
});

export const ThrottleFractions = z.strictObject({
  sw_power_cap: num,
  hw_slowdown: num,
  sw_thermal_slowdown: num,
  hw_thermal_slowdown: num,
  hw_power_brake_slowdown: num,
});

export const Experiment = z.strictObject({
  campaign_id: z.string(),
  experiment_id: z.string(),
  config_hash: z.string(),
  cycle: z.int().nonnegative(),
  index: z.int().nonnegative(),
  attempt: z.int().positive(),
  backend: z.string(),
  config: z.record(z.string(), z.unknown()),
});

export const Timing = z.strictObject({
  started_at: z.string(),
  finished_at: z.string(),
  engine_load_s: nnum,
  idle_baseline_s: num,
  warmup_s: num,
  measured_s: num,
});

export const Tokens = z.strictObject({
  input: z.int().nonnegative(),
  output: z.int().nonnegative(),
  prompts: z.int().nonnegative(),
  batches: z.int().nonnegative(),
});

export const Throughput = z.strictObject({ output_tokens_per_s: num, total_tokens_per_s: num, requests_per_s: num });

export const Latency = z.strictObject({
  /** Which definition each metric uses (tools disagree; see docs/metrics.md). */
  definitions: z.record(z.string(), z.string()),
  e2e_ms: Distribution.nullable(),
  ttft_ms: Distribution.nullable(),
  itl_ms: Distribution.nullable(),
  tpot_ms: Distribution.nullable(),
});

export const EnergyV3 = z.strictObject({
  available: z.boolean(),
  reason: z.string().nullable(),
  /** Delta of nvmlDeviceGetTotalEnergyConsumption over the measured window, summed over GPUs. */
  counter_j: nnum,
  /** Trapezoidal integral of sampled power over the same window (cross-check). */
  integrated_j: nnum,
  /** (integrated - counter) / counter * 100. */
  disagreement_pct: nnum,
  /** The subtracted baseline's power (energy.baseline names it), its energy over the window, and what remains. */
  baseline_power_w: nnum,
  baseline_j: nnum,
  adjusted_j: nnum,
  j_per_output_token: nnum,
  adjusted_j_per_output_token: nnum,
  per_gpu: z.array(
    z.strictObject({ index: z.int().nonnegative(), counter_j: nnum, integrated_j: nnum, baseline_power_w: nnum }),
  ),
});

export const BaselineName = z.enum(['device_idle', 'loaded_idle']);
export type BaselineName = z.infer<typeof BaselineName>;

/** Gross energy minus one baseline's power x the measured window. */
export const Adjusted = z.strictObject({
  baseline_power_w: nnum,
  baseline_j: nnum,
  adjusted_j: nnum,
  adjusted_j_per_output_token: nnum,
});

export const Energy = EnergyV3.extend({
  /** The baseline that baseline_power_w, adjusted_j and adjusted_j_per_output_token subtract; null if none was. */
  baseline: BaselineName.nullable(),
  /** The adjusted figures against each baseline (null where that baseline was not measured). */
  adjusted: z.strictObject({ device_idle: Adjusted.nullable(), loaded_idle: Adjusted.nullable() }),
});

export const Power = z.strictObject({ source: z.string().nullable(), mean_w: nnum, max_w: nnum, min_w: nnum });

export const Thermal = z.strictObject({
  start_temp_c: nnum,
  max_temp_c: nnum,
  throttled: z.boolean(),
  active_reasons: z.array(z.string()),
  fractions: ThrottleFractions.nullable(),
});

export const WarmupV3 = z.strictObject({
  runs: z.int().nonnegative(),
  final_cv: nnum,
  converged: z.boolean(),
  cv_threshold: num,
  window: z.int().positive(),
  max_runs: z.int().positive(),
});

export const Warmup = WarmupV3.extend({
  /** Latency of the first (cold) warmup run in seconds; it is never part of the CV. Null in migrated v3 results. */
  cold_run_s: nnum,
  /** False only in migrated v3 results, whose CV included the cold run. */
  cold_run_excluded: z.boolean(),
  /** Distinct batch shapes of the measured run, each run at least once during warmup (null: not recorded, v3). */
  shapes: z.int().nonnegative().nullable(),
  /** Batches were padded to one fixed shape (warmup.pad_to_fixed_shape). */
  fixed_shape: z.boolean(),
});

export const SamplerV3 = z.strictObject({
  enabled: z.boolean(),
  interval_ms: num,
  samples: z.int().nonnegative(),
  /** Fraction of the measured window covered by samples at the requested interval. */
  coverage: nnum,
});

export const Sampler = SamplerV3.extend({
  /** Where sweeps ran: a thread of the harness, or a separate sampling process. Null when sampling is off. */
  kind: z.enum(['thread', 'process']).nullable(),
  /** Slow-changing fields (clocks, temperature, memory, utilisation, pstate, throttle reasons) every k-th sweep. */
  slow_fields_every: z.int().positive().nullable(),
  /** NVML calls per GPU in a fast sweep, in a full sweep, and on average over the window's sweeps. */
  calls_per_sweep: z.strictObject({ fast: z.int().nonnegative(), full: z.int().nonnegative(), mean: num }).nullable(),
  /** Wall time of one sweep as measured around it, in ms. */
  sweep_ms: Distribution.nullable(),
});

export const GpuUsage = z.strictObject({
  memory_used_max_mib: nnum,
  memory_used_mean_mib: nnum,
  utilization_gpu_mean_pct: nnum,
  utilization_memory_mean_pct: nnum,
  samples: z.int().nonnegative(),
});

/** One idle baseline: the GPUs at rest before any CUDA context (device_idle), or the engine loaded (loaded_idle). */
export const BaselineInfo = z.strictObject({
  name: BaselineName,
  power_w: nnum,
  per_gpu_w: z.array(nnum),
  duration_s: num,
  /** Most frequent performance state over the baseline's sweeps (0 = P0, fastest). */
  pstate: z.int().nullable(),
  /** Median clocks of the first GPU in use over the baseline's sweeps. */
  sm_clock_mhz: nnum,
  mem_clock_mhz: nnum,
  samples: z.int().nonnegative().nullable(),
  measured_at: z.string().nullable(),
  /** True when measured once before the batch's first engine load and reused by later experiments of the batch. */
  reused: z.boolean(),
  /** (mean power of the second half - first half) / first half x 100: the baseline's own drift. */
  drift_pct: nnum,
  problems: z.array(z.string()),
});

export const Baselines = z.strictObject({ device_idle: BaselineInfo.nullable(), loaded_idle: BaselineInfo.nullable() });

/** One validity check: the value seen, the threshold it is held to, passed (null: not applicable here). */
export const ValidityCheck = z.strictObject({
  name: z.enum([
    'window_length',
    'sample_coverage',
    'counter_vs_integral',
    'temperature_range',
    'throttle_share',
    'baseline_stability',
  ]),
  passed: z.boolean().nullable(),
  value: nnum,
  threshold: z.string(),
  detail: z.string(),
});

export const Validity = z.strictObject({
  /** False when any check failed: aggregate and report leave the result out unless --include-invalid. */
  valid: z.boolean(),
  /** False for migrated v3 results, which were never checked (they count as valid, flagged "not assessed"). */
  assessed: z.boolean(),
  checks: z.array(ValidityCheck),
  /** One sentence per failed check. */
  reasons: z.array(z.string()),
});

/** A relative half-width (0.05 = ±5 %) that one source of error contributes to J/output token. */
export const UncertaintyComponent = z.strictObject({ name: z.string(), relative: num, description: z.string() });

/** Per-result uncertainty budget of J/output token (docs/metrics.md gives the arithmetic). */
export const Uncertainty = z.strictObject({
  metric: z.literal('j_per_output_token'),
  value: num,
  components: z.array(UncertaintyComponent),
  /** Root sum of squares of the components' relative half-widths. */
  combined_relative: num,
  low: num,
  high: num,
});

export const ResultDocument = z.strictObject({
  schema_version: z.literal(6),
  simulated: z.boolean(),
  experiment: Experiment,
  environment: Environment,
  timing: Timing,
  tokens: Tokens,
  throughput: Throughput,
  latency: Latency,
  energy: Energy,
  power: Power,
  thermal: Thermal,
  warmup: Warmup,
  sampler: Sampler,
  /**
   * GPU memory and utilisation over the measured window's NVML samples. Memory is the sum over the GPUs in use per
   * sample (max and mean of that sum); utilisation is averaged over the GPUs per sample, then over samples.
   * All null with samples 0 when NVML or sampling is off, or the run is simulated: never invented.
   */
  gpu_usage: GpuUsage,
  baselines: Baselines,
  window: MeasureWindow,
  validity: Validity,
  /** Null where no energy was measured. */
  uncertainty: Uncertainty.nullable(),
  warnings: z.array(z.string()),
  serving: ServingBlock.optional(),
  /** Energy per domain and layer from host meters (domains.ts); only where measurement.sources named some. */
  domains: DomainsBlock.optional(),
  /** Where lem placed the experiment (placement: pack), written by lem after the run; absent otherwise. */
  placement: PlacementBlock.optional(),
  files: z.strictObject({ samples_csv: z.string().nullable() }),
});
export type ResultDocument = z.infer<typeof ResultDocument>;
// 5 added only optional blocks: the window's wall-clock edges, domains and placement; 6 only serving.client (lem's own
// lateness while measuring). v4 and v5 are read as v6 unchanged.
export const RESULT_SCHEMA_VERSION = 6;
