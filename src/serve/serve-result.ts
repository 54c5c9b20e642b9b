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
 * The result document of a serve experiment run by lem's load generator against a server it did not start:
 * no engine, no NVML in this process, so every GPU, power and thermal field is null or empty (never invented) and
 * `energy.reason` says why; the serving block carries what was measured.
 */
export function serveResultDocument(id: ExperimentIdentity, config: ExperimentConfig, run: ServeRun): ResultDocument {
  const s = run.serving;
  const e = s.energy;
  const cpu = cpus();
  const doc = {
    schema_version: ResultDocument.shape.schema_version.value,
    simulated: run.simulated,
    experiment: { ...id, backend: config.backend, config: config as unknown as Record<string, unknown> },
    environment: {
      nvml_available: false,
      nvml_error: 'serve mode against an external endpoint: NVML is not read by lem',
      gpus: [],
      driver_version: null,
      cuda_version: null,
      cpu: { model: cpu[0]?.model ?? null, governor: null, cores: cpu.length || null },
      container: { in_container: false, image: null, hostname: hostname() },
      python_version: 'n/a (load generator in lem)',
      platform: `${platform()}-${arch()}`,
      engine: { name: config.backend, version: null },
      harness_version: 'n/a (load generator in lem)',
    },
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
      baseline_power_w: null,
      baseline_j: null,
      adjusted_j: null,
      j_per_output_token: e.j_per_output_token,
      adjusted_j_per_output_token: e.adjusted_j_per_output_token,
      per_gpu: [],
    },
    power: { source: null, mean_w: null, max_w: null, min_w: null },
    thermal: { start_temp_c: null, max_temp_c: null, throttled: false, active_reasons: [], fractions: null },
    warmup: {
      runs: s.requests.warmup,
      final_cv: null,
      converged: true,
      cv_threshold: config.measurement.warmup.cv_threshold,
      window: config.measurement.warmup.window,
      max_runs: Math.max(1, s.requests.warmup),
    },
    sampler: { enabled: false, interval_ms: config.measurement.sample_interval_ms, samples: 0, coverage: null },
    gpu_usage: {
      memory_used_max_mib: null,
      memory_used_mean_mib: null,
      utilization_gpu_mean_pct: null,
      utilization_memory_mean_pct: null,
      samples: 0,
    },
    warnings: [...run.warnings],
    serving: s,
    files: { samples_csv: null },
  };
  return ResultDocument.parse(doc);
}
