// `npm run bench`: `lem results aggregate` over 10,000 result files (500 configurations × 20 cycles) must take
// under 3 s on a 2-core machine. Times the real CLI as a process (startup, reads, validation, bootstrap with the
// default 10,000 resamples, CSV/JSON writes), median of 3 runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIGS = 500;
const CYCLES = 20;
const TARGET_S = 3;
const RUNS = 3;

// Deterministic noise so every bench run aggregates the same data.
let state = 12345;
const rand = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const jitter = (x, rel) => x * (1 + (rand() - 0.5) * 2 * rel);
const dist = (p50, n) => ({
  n,
  mean: p50 * 1.08,
  p50,
  p90: p50 * 1.3,
  p95: p50 * 1.45,
  p99: p50 * 1.8,
  min: p50 * 0.6,
  max: p50 * 2.1,
});

/** A schema-v3 result document (src/contract/result.ts) with realistic H100 magnitudes. */
function resultDoc(configIndex, cycle) {
  const backend = ['vllm', 'transformers', 'tensorrt'][configIndex % 3];
  const batch = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512][configIndex % 10];
  const maxTokens = [64, 128, 256, 512, 1024][Math.floor(configIndex / 10) % 5];
  const config = {
    backend,
    model: {
      name: 'meta-llama/Llama-3.1-8B-Instruct',
      fp_precision: ['bf16', 'fp16'][Math.floor(configIndex / 50) % 2],
    },
    max_output_tokens: maxTokens,
    batching: { batch_size: batch, strategy: 'static' },
    decoder: { preset: null, temperature: 0, top_p: 1, top_k: 0, repetition_penalty: 1 },
    prompts: { source: 'builtin', category: 'medium', count: 64 + Math.floor(configIndex / 100) },
    measurement: {
      sample_interval_ms: 100,
      sampling: true,
      idle_baseline_s: 10,
      min_measure_s: 0,
      warmup: { max_runs: 20, cv_threshold: 0.05, window: 5, min_runs: 3 },
    },
  };
  const tps = jitter(1000 * Math.sqrt(batch), 0.04);
  const power = jitter(420 + 30 * Math.log2(batch), 0.03);
  const outputTokens = 64 * maxTokens;
  const measured = outputTokens / tps;
  const counter = power * measured;
  const baselineW = 68;
  const ttft = jitter(30 + batch * 0.8, 0.08);
  const itl = jitter(6 + batch * 0.05, 0.05);
  const throttled = rand() < 0.01;
  const converged = rand() > 0.02;
  const hash = (0x10000000 + configIndex * 7919).toString(16).padStart(12, '0');
  return {
    schema_version: 3,
    simulated: false,
    experiment: {
      campaign_id: 'bench',
      experiment_id: `c${String(cycle).padStart(2, '0')}-e${String(configIndex).padStart(4, '0')}`,
      config_hash: hash,
      cycle,
      index: configIndex,
      attempt: 1,
      backend,
      config,
    },
    environment: {
      nvml_available: true,
      nvml_error: null,
      gpus: [
        {
          index: 0,
          name: 'NVIDIA H100 80GB HBM3',
          uuid: 'GPU-0',
          memory_total_mib: 81559,
          power_limit_w: 700,
          power_default_limit_w: 700,
          persistence_mode: true,
          mig_mode: false,
          ecc_enabled: true,
          temperature_c_start: 34,
          compute_capability: '9.0',
        },
      ],
      driver_version: '570.86.15',
      cuda_version: '12.8',
      cpu: { model: 'AMD EPYC 9654', governor: 'performance', cores: 96 },
      container: { in_container: true, image: `lem/${backend}:bench`, hostname: 'bench' },
      python_version: '3.12.3',
      platform: 'Linux-6.8.0-x86_64',
      engine: { name: backend, version: '1.0.0' },
      harness_version: '0.1.0',
    },
    timing: {
      started_at: '2026-01-10T10:00:00.000Z',
      finished_at: '2026-01-10T10:01:00.000Z',
      engine_load_s: 20,
      idle_baseline_s: 10,
      warmup_s: 12,
      measured_s: measured,
    },
    tokens: { input: 64 * 512, output: outputTokens, prompts: 64, batches: Math.ceil(64 / batch) },
    throughput: { output_tokens_per_s: tps, total_tokens_per_s: tps * 2, requests_per_s: 64 / measured },
    latency: {
      definitions: {
        ttft_ms: 'request sent to first token received',
        e2e_ms: 'client-side request latency',
        itl_ms: 'gaps between chunks (vLLM)',
        tpot_ms: '(E2E - TTFT)/(out-1)',
      },
      e2e_ms: dist(ttft + itl * maxTokens, 64),
      ttft_ms: dist(ttft, 64),
      itl_ms: dist(itl, 64 * maxTokens),
      tpot_ms: dist(itl * 1.02, 64),
    },
    energy: {
      available: true,
      reason: null,
      counter_j: counter,
      integrated_j: counter * 1.003,
      disagreement_pct: 0.3,
      baseline_power_w: baselineW,
      baseline_j: baselineW * measured,
      adjusted_j: counter - baselineW * measured,
      j_per_output_token: counter / outputTokens,
      adjusted_j_per_output_token: (counter - baselineW * measured) / outputTokens,
      per_gpu: [{ index: 0, counter_j: counter, integrated_j: counter * 1.003, baseline_power_w: baselineW }],
    },
    power: { source: 'nvml_field_power_instant', mean_w: power, max_w: power * 1.15, min_w: baselineW },
    thermal: {
      start_temp_c: 34,
      max_temp_c: throttled ? 88 : 66,
      throttled,
      active_reasons: throttled ? ['sw_thermal_slowdown'] : [],
      fractions: {
        sw_power_cap: 0,
        hw_slowdown: 0,
        sw_thermal_slowdown: throttled ? 0.1 : 0,
        hw_thermal_slowdown: 0,
        hw_power_brake_slowdown: 0,
      },
    },
    warmup: {
      runs: converged ? 5 : 20,
      final_cv: converged ? 0.02 : 0.09,
      converged,
      cv_threshold: 0.05,
      window: 5,
      max_runs: 20,
    },
    sampler: { enabled: true, interval_ms: 100, samples: Math.round(measured * 10), coverage: 0.98 },
    gpu_usage: {
      memory_used_max_mib: 70000 + batch * 8,
      memory_used_mean_mib: 69000 + batch * 8,
      utilization_gpu_mean_pct: Math.min(99, 60 + 5 * Math.log2(batch)),
      utilization_memory_mean_pct: Math.min(90, 20 + 6 * Math.log2(batch)),
      samples: Math.round(measured * 10),
    },
    warnings: [],
    files: { samples_csv: 'samples.csv' },
  };
}

const data = mkdtempSync(join(tmpdir(), 'lem-bench-results-'));
const out = mkdtempSync(join(tmpdir(), 'lem-bench-out-'));
try {
  const t0 = performance.now();
  for (let c = 0; c < CONFIGS; c++) {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const doc = resultDoc(c, cycle);
      const dir = join(data, 'bench', doc.experiment.experiment_id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'result.json'), JSON.stringify(doc, null, 2));
    }
  }
  console.log(
    `generated ${CONFIGS * CYCLES} result files (${CONFIGS} configs × ${CYCLES} cycles) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(
      process.execPath,
      [join(root, 'bin/lem.js'), 'results', 'aggregate', '--results', data, '--out', out],
      { encoding: 'utf8' },
    );
    const s = (performance.now() - start) / 1000;
    if (r.status !== 0) {
      console.error(r.stdout, r.stderr);
      throw new Error(`lem results aggregate exited ${r.status}`);
    }
    times.push(s);
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  if (summary.experiments !== CONFIGS * CYCLES || summary.configs.length !== CONFIGS || summary.skipped.length !== 0) {
    throw new Error(
      `unexpected aggregate: ${summary.experiments} experiments, ${summary.configs.length} configs, ${summary.skipped.length} skipped`,
    );
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  const pass = median < TARGET_S;
  console.log(
    `lem results aggregate, ${CONFIGS * CYCLES} files, ${summary.bootstrap.resamples} resamples: runs ${times.map((t) => t.toFixed(2)).join(' s, ')} s`,
  );
  console.log(`median ${median.toFixed(2)} s (target < ${TARGET_S} s) ${pass ? 'PASS' : 'FAIL'}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  rmSync(data, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
}
