import { z } from 'zod';
import { ServingBlock } from './serving.js';

/**
 * The result document (schema version 3) the harness writes to <results>/<campaign>/<experiment>/result.json.
 * Fields the engine or the machine cannot provide are null, never invented; `warnings` says why.
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
  container: z.strictObject({ in_container: z.boolean(), image: z.string().nullable(), hostname: z.string().nullable() }),
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

export const ResultDocument = z.strictObject({
  schema_version: z.literal(3),
  simulated: z.boolean(),
  experiment: z.strictObject({
    campaign_id: z.string(),
    experiment_id: z.string(),
    config_hash: z.string(),
    cycle: z.int().nonnegative(),
    index: z.int().nonnegative(),
    attempt: z.int().positive(),
    backend: z.string(),
    config: z.record(z.string(), z.unknown()),
  }),
  environment: Environment,
  timing: z.strictObject({
    started_at: z.string(),
    finished_at: z.string(),
    engine_load_s: nnum,
    idle_baseline_s: num,
    warmup_s: num,
    measured_s: num,
  }),
  tokens: z.strictObject({
    input: z.int().nonnegative(),
    output: z.int().nonnegative(),
    prompts: z.int().nonnegative(),
    batches: z.int().nonnegative(),
  }),
  throughput: z.strictObject({
    output_tokens_per_s: num,
    total_tokens_per_s: num,
    requests_per_s: num,
  }),
  latency: z.strictObject({
    /** Which definition each metric uses (tools disagree; see docs/metrics.md). */
    definitions: z.record(z.string(), z.string()),
    e2e_ms: Distribution.nullable(),
    ttft_ms: Distribution.nullable(),
    itl_ms: Distribution.nullable(),
    tpot_ms: Distribution.nullable(),
  }),
  energy: z.strictObject({
    available: z.boolean(),
    reason: z.string().nullable(),
    /** Delta of nvmlDeviceGetTotalEnergyConsumption over the measured window, summed over GPUs. */
    counter_j: nnum,
    /** Trapezoidal integral of sampled power over the same window (cross-check). */
    integrated_j: nnum,
    /** (integrated - counter) / counter * 100. */
    disagreement_pct: nnum,
    baseline_power_w: nnum,
    baseline_j: nnum,
    adjusted_j: nnum,
    j_per_output_token: nnum,
    adjusted_j_per_output_token: nnum,
    per_gpu: z.array(z.strictObject({ index: z.int().nonnegative(), counter_j: nnum, integrated_j: nnum, baseline_power_w: nnum })),
  }),
  power: z.strictObject({ source: z.string().nullable(), mean_w: nnum, max_w: nnum, min_w: nnum }),
  thermal: z.strictObject({
    start_temp_c: nnum,
    max_temp_c: nnum,
    throttled: z.boolean(),
    active_reasons: z.array(z.string()),
    fractions: ThrottleFractions.nullable(),
  }),
  warmup: z.strictObject({
    runs: z.int().nonnegative(),
    final_cv: nnum,
    converged: z.boolean(),
    cv_threshold: num,
    window: z.int().positive(),
    max_runs: z.int().positive(),
  }),
  sampler: z.strictObject({
    enabled: z.boolean(),
    interval_ms: num,
    samples: z.int().nonnegative(),
    /** Fraction of the measured window covered by samples at the requested interval. */
    coverage: nnum,
  }),
  /**
   * GPU memory and utilisation over the measured window's NVML samples (MEAS-07). Memory is the sum over the GPUs in
   * use per sample (max and mean of that sum); utilisation is averaged over the GPUs per sample, then over samples.
   * All null with samples 0 when NVML or sampling is off, or the run is simulated: never invented.
   */
  gpu_usage: z.strictObject({
    memory_used_max_mib: nnum,
    memory_used_mean_mib: nnum,
    utilization_gpu_mean_pct: nnum,
    utilization_memory_mean_pct: nnum,
    samples: z.int().nonnegative(),
  }),
  warnings: z.array(z.string()),
  serving: ServingBlock.optional(),
  files: z.strictObject({ samples_csv: z.string().nullable() }),
});
export type ResultDocument = z.infer<typeof ResultDocument>;
