import { cpus, hostname, platform, arch } from 'node:os';
import type { ExperimentConfig } from '../config/experiment.js';
import type { LatencyStats, ServingBlock } from '../contract/serving.js';
import { ResultDocument } from '../contract/result.js';

export interface ExperimentIdentity {
  readonly campaign_id: string;
  readonly experiment_id: string;
  readonly config_hash: string;
  readonly cycle: number;
  readonly index: number;
  readonly attempt: number;
}

export interface ServeRun {
  /** Measured against lem's synthetic server (the test double). */
  readonly simulated: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Wall-clock time (ms since the epoch) the serving block's window offsets count from. */
  readonly loadEpochMs: number;
  readonly warmupS: number;
  readonly promptCount: number;
  readonly serving: ServingBlock;
  readonly warnings: readonly string[];
}

function distribution(s: LatencyStats | null): ResultDocument['latency']['ttft_ms'] {
  return s === null
    ? null
    : { n: s.n, mean: s.mean, p50: s.p50, p90: s.p90, p95: s.p95, p99: s.p99, min: s.min, max: s.max };
}

/**
 * The result document of a serve experiment run by lem's load generator: no engine and no NVML in this process, so
 * every GPU, power and thermal field is null or empty (never invented). Energy is what the serving block measured
 * (a lem-started server's sampler) or null with `energy.reason` saying why (an external endpoint).
 */
export function serveResultDocument(id: ExperimentIdentity, config: ExperimentConfig, run: ServeRun): ResultDocument {
  const s = run.serving;
  const e = s.energy;
  const doc = {
    schema_version: ResultDocument.shape.schema_version.value,
    simulated: run.simulated,
    experiment: { ...id, backend: config.backend, config: config as unknown as Record<string, unknown> },
    environment: serveEnvironment(config),
    timing: {
      started_at: run.startedAt.toISOString(),
      finished_at: run.finishedAt.toISOString(),
      engine_load_s: null,
      idle_baseline_s: 0,
      warmup_s: run.warmupS,
      measured_s: s.duration_s,
    },
    tokens: { input: s.tokens.input ?? 0, output: s.tokens.output, prompts: run.promptCount, batches: 0 },
    throughput: {
      output_tokens_per_s: s.throughput.output_tokens_per_s,
      total_tokens_per_s: s.throughput.total_tokens_per_s ?? s.throughput.output_tokens_per_s,
      requests_per_s: s.throughput.requests_per_s,
    },
    latency: {
      definitions: s.latency.definitions,
      e2e_ms: distribution(s.latency.e2el_ms),
      ttft_ms: distribution(s.latency.ttft_ms),
      itl_ms: distribution(s.latency.itl_ms),
      tpot_ms: distribution(s.latency.tpot_ms),
    },
    energy: {
      available: e.available,
      reason: e.reason,
      counter_j: e.whole_j,
      integrated_j: null,
      disagreement_pct: null,
      // A lem-started server: the harness's sampler measured loaded-idle power just before the load.
      baseline_power_w: e.baseline_w ?? null,
      baseline_j: e.baseline_w == null ? null : e.baseline_w * s.duration_s,
      adjusted_j: e.baseline_w == null || e.whole_j === null ? null : e.whole_j - e.baseline_w * s.duration_s,
      j_per_output_token: e.j_per_output_token,
      adjusted_j_per_output_token: e.adjusted_j_per_output_token,
      per_gpu: [],
      // The loaded-idle power above is the serving sampler's; the offline baseline record stays empty.
      baseline: null,
      adjusted: { device_idle: null, loaded_idle: null },
    },
    power: { source: null, mean_w: null, max_w: null, min_w: null },
    thermal: { start_temp_c: null, max_temp_c: null, throttled: false, active_reasons: [], fractions: null },
    warmup: serveWarmup(config, s.requests.warmup),
    sampler: noSampler(config),
    gpu_usage: {
      memory_used_max_mib: null,
      memory_used_mean_mib: null,
      utilization_gpu_mean_pct: null,
      utilization_memory_mean_pct: null,
      samples: 0,
    },
    baselines: { device_idle: null, loaded_idle: null },
    // Wall-clock edges of the whole measured window, so host meters (measurement.sources) can cut theirs out.
    window: {
      target_s: s.duration_s,
      passes: null,
      start_unix_s: (run.loadEpochMs + s.windows.whole.start_ms) / 1000,
      end_unix_s: (run.loadEpochMs + s.windows.whole.end_ms) / 1000,
    },
    // The offline validity checks judge an NVML window; none was measured here, so none is assessed.
    validity: { valid: true, assessed: false, checks: [], reasons: [] },
    uncertainty: null,
    warnings: [...run.warnings],
    serving: s,
    files: { samples_csv: null },
  };
  return ResultDocument.parse(doc);
}

/** What a result says of the machine when lem drove an endpoint it did not start: no NVML, no harness. */
function serveEnvironment(config: ExperimentConfig): ResultDocument['environment'] {
  const cpu = cpus();
  return {
    nvml_available: false,
    nvml_error:
      config.backend === 'external'
        ? 'serve mode against an external endpoint: NVML is not read by lem'
        : "serve mode: the harness's serving sampler in the backend container reads the energy (serving.energy)",
    gpus: [],
    driver_version: null,
    cuda_version: null,
    cpu: { model: cpu[0]?.model ?? null, governor: null, cores: cpu.length || null },
    container: { in_container: false, image: null, hostname: hostname() },
    python_version: 'n/a (load generator in lem)',
    platform: `${platform()}-${arch()}`,
    engine: { name: config.backend, version: null },
    harness_version: 'n/a (load generator in lem)',
  };
}

/** Serve mode's warm-up is a number of requests, not CV convergence: the offline warmup fields say so. */
function serveWarmup(config: ExperimentConfig, warmupRequests: number): ResultDocument['warmup'] {
  return {
    runs: warmupRequests,
    final_cv: null,
    converged: true,
    cv_threshold: config.measurement.warmup.cv_threshold,
    window: config.measurement.warmup.window,
    max_runs: Math.max(1, warmupRequests),
    cold_run_s: null,
    cold_run_excluded: false,
    shapes: null,
    fixed_shape: false,
  };
}

/** lem samples no NVML for an endpoint it did not start. */
function noSampler(config: ExperimentConfig): ResultDocument['sampler'] {
  return {
    enabled: false,
    interval_ms: config.measurement.sample_interval_ms,
    samples: 0,
    coverage: null,
    kind: null,
    slow_fields_every: null,
    calls_per_sweep: null,
    sweep_ms: null,
  };
}
