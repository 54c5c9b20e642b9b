import type { Distribution, ResultDocument } from '../contract/result.js';
import { descriptors as describe, flattenConfig, variedKeys, type Descriptors } from './config-params.js';
import type { CollectedResult } from './collect.js';
import type { Cell } from './csv.js';
import { perToken, resultLayers } from './layers.js';
import { LAYER_NAMES, type LayerName } from '../contract/domains.js';

/**
 * experiments.csv: one row per experiment and cycle (latest attempt), every scalar metric its own column,
 * so a spreadsheet or pandas needs no JSON. Columns are fixed and documented by name; the parameters that vary
 * across the selected results follow as param.<dotted.key> columns.
 */
/** Descriptors per config object (shared by a document's columns; a WeakMap so nothing outlives the documents). */
const described = new WeakMap<object, Descriptors>();
function descriptors(d: ResultDocument): Descriptors {
  let x = described.get(d.experiment.config);
  if (!x) {
    x = describe(d);
    described.set(d.experiment.config, x);
  }
  return x;
}

type Column = readonly [name: string, get: (d: ResultDocument, r: CollectedResult) => Cell];

const dist = (name: string, get: (d: ResultDocument) => Distribution | null): Column[] =>
  (['n', 'mean', 'p50', 'p90', 'p95', 'p99', 'min', 'max'] as const).map((f) => [`${name}_${f}`, (d: ResultDocument) => get(d)?.[f] ?? null] as const);

const fraction = (f: keyof NonNullable<ResultDocument['thermal']['fractions']>): Column => [`throttle_${f}_fraction`, (d) => d.thermal.fractions?.[f] ?? null];

/** Energy by layer (GPU, CPU, DRAM, node, rest of node): J, J/output token, and why it is missing (never 0). */
const layerColumns = (n: LayerName): Column[] => [
  [`layer_${n}_j`, (d) => resultLayers(d).layers[n].joules],
  [`layer_${n}_j_per_output_token`, (d) => perToken(resultLayers(d).layers[n].joules, d)],
  [`layer_${n}_missing`, (d) => resultLayers(d).layers[n].missing],
];

export const EXPERIMENT_COLUMNS: readonly Column[] = [
  ['campaign_id', (d) => d.experiment.campaign_id],
  ['experiment_id', (d) => d.experiment.experiment_id],
  ['config_hash', (d) => d.experiment.config_hash],
  ['cycle', (d) => d.experiment.cycle],
  ['index', (d) => d.experiment.index],
  ['attempt', (d) => d.experiment.attempt],
  ['simulated', (d) => d.simulated],
  ['backend', (d) => d.experiment.backend],
  ['engine', (d) => d.environment.engine.name],
  ['engine_version', (d) => d.environment.engine.version],
  ['model', (d) => descriptors(d).model],
  ['precision', (d) => descriptors(d).precision],
  ['quantization', (d) => descriptors(d).quantization],
  ['batch_size', (d) => descriptors(d).batch_size],
  ['max_output_tokens', (d) => descriptors(d).max_output_tokens],
  ['gpu_count', (d) => d.environment.gpus.length],
  ['gpu_name', (d) => [...new Set(d.environment.gpus.map((g) => g.name))].join(';') || null],
  ['driver_version', (d) => d.environment.driver_version],
  ['started_at', (d) => d.timing.started_at],
  ['finished_at', (d) => d.timing.finished_at],
  ['engine_load_s', (d) => d.timing.engine_load_s],
  ['idle_baseline_s', (d) => d.timing.idle_baseline_s],
  ['warmup_s', (d) => d.timing.warmup_s],
  ['measured_s', (d) => d.timing.measured_s],
  ['input_tokens', (d) => d.tokens.input],
  ['output_tokens', (d) => d.tokens.output],
  ['prompts', (d) => d.tokens.prompts],
  ['batches', (d) => d.tokens.batches],
  ['output_tokens_per_s', (d) => d.throughput.output_tokens_per_s],
  ['total_tokens_per_s', (d) => d.throughput.total_tokens_per_s],
  ['requests_per_s', (d) => d.throughput.requests_per_s],
  ...dist('ttft_ms', (d) => d.latency.ttft_ms),
  ...dist('itl_ms', (d) => d.latency.itl_ms),
  ...dist('tpot_ms', (d) => d.latency.tpot_ms),
  ...dist('e2e_ms', (d) => d.latency.e2e_ms),
  ['energy_available', (d) => d.energy.available],
  ['energy_unavailable_reason', (d) => d.energy.reason],
  ['energy_counter_j', (d) => d.energy.counter_j],
  ['energy_integrated_j', (d) => d.energy.integrated_j],
  ['energy_disagreement_pct', (d) => d.energy.disagreement_pct],
  ['baseline_power_w', (d) => d.energy.baseline_power_w],
  ['baseline_j', (d) => d.energy.baseline_j],
  ['energy_adjusted_j', (d) => d.energy.adjusted_j],
  ['j_per_output_token', (d) => d.energy.j_per_output_token],
  ['adjusted_j_per_output_token', (d) => d.energy.adjusted_j_per_output_token],
  ['energy_baseline', (d) => d.energy.baseline],
  ['device_idle_power_w', (d) => d.baselines.device_idle?.power_w ?? null],
  ['loaded_idle_power_w', (d) => d.baselines.loaded_idle?.power_w ?? null],
  ['adjusted_j_per_output_token_device_idle', (d) => d.energy.adjusted.device_idle?.adjusted_j_per_output_token ?? null],
  ['adjusted_j_per_output_token_loaded_idle', (d) => d.energy.adjusted.loaded_idle?.adjusted_j_per_output_token ?? null],
  ['j_per_output_token_uncertainty_rel', (d) => d.uncertainty?.combined_relative ?? null],
  ['j_per_output_token_uncertainty_low', (d) => d.uncertainty?.low ?? null],
  ['j_per_output_token_uncertainty_high', (d) => d.uncertainty?.high ?? null],
  ['valid', (d) => d.validity.valid],
  ['validity_assessed', (d) => d.validity.assessed],
  ['validity_reasons', (d) => d.validity.reasons.join(' | ')],
  ['window_passes', (d) => d.window.passes],
  ['power_source', (d) => d.power.source],
  ['power_mean_w', (d) => d.power.mean_w],
  ['power_max_w', (d) => d.power.max_w],
  ['power_min_w', (d) => d.power.min_w],
  ['start_temp_c', (d) => d.thermal.start_temp_c],
  ['max_temp_c', (d) => d.thermal.max_temp_c],
  ['throttled', (d) => d.thermal.throttled],
  ['throttle_reasons', (d) => d.thermal.active_reasons.join(';')],
  fraction('sw_power_cap'),
  fraction('hw_slowdown'),
  fraction('sw_thermal_slowdown'),
  fraction('hw_thermal_slowdown'),
  fraction('hw_power_brake_slowdown'),
  ['warmup_runs', (d) => d.warmup.runs],
  ['warmup_final_cv', (d) => d.warmup.final_cv],
  ['warmup_converged', (d) => d.warmup.converged],
  ['warmup_cv_threshold', (d) => d.warmup.cv_threshold],
  ['sampler_enabled', (d) => d.sampler.enabled],
  ['sampler_interval_ms', (d) => d.sampler.interval_ms],
  ['sampler_samples', (d) => d.sampler.samples],
  ['sampler_coverage', (d) => d.sampler.coverage],
  ['sampler_kind', (d) => d.sampler.kind],
  ['sampler_calls_per_sweep', (d) => d.sampler.calls_per_sweep?.mean ?? null],
  ['sampler_sweep_ms_p50', (d) => d.sampler.sweep_ms?.p50 ?? null],
  ['warmup_cold_run_s', (d) => d.warmup.cold_run_s],
  ['warmup_shapes', (d) => d.warmup.shapes],
  ['gpu_memory_used_max_mib', (d) => d.gpu_usage.memory_used_max_mib],
  ['gpu_memory_used_mean_mib', (d) => d.gpu_usage.memory_used_mean_mib],
  ['gpu_utilization_gpu_mean_pct', (d) => d.gpu_usage.utilization_gpu_mean_pct],
  ['gpu_utilization_memory_mean_pct', (d) => d.gpu_usage.utilization_memory_mean_pct],
  // Serve mode (empty for offline results): the load, what it achieved, and energy per token over the steady state.
  ['serve_loop', (d) => d.serving?.load.loop ?? null],
  ['serve_concurrency', (d) => d.serving?.load.concurrency ?? null],
  ['serve_rate', (d) => d.serving?.load.rate ?? null],
  ['serve_requests', (d) => d.serving?.requests.total ?? null],
  ['serve_success_rate', (d) => d.serving?.requests.success_rate ?? null],
  ['serve_failures', (d) => (d.serving ? Object.entries(d.serving.requests.failures).map(([k, v]) => `${k}=${v}`).join(';') : null)],
  ['serve_goodput_requests_per_s', (d) => d.serving?.throughput.goodput_requests_per_s ?? null],
  ['serve_ttft_ms_median', (d) => d.serving?.latency.ttft_ms?.median ?? null],
  ['serve_itl_ms_median', (d) => d.serving?.latency.itl_ms?.median ?? null],
  // lem's own lateness (schema v6): how much of the latency tails may be lem's; empty for older results.
  ['serve_client_loop_delay_ms_p90', (d) => d.serving?.client?.loop_delay_ms.p90 ?? null],
  ['serve_client_cpu_share', (d) => d.serving?.client?.cpu_share ?? null],
  ['serve_steady_share', (d) => d.serving?.windows.steady?.share ?? null],
  ['serve_steady_j_per_output_token', (d) => d.serving?.energy.steady_j_per_output_token ?? null],
  // Lem-started servers (absent, so empty, in serve results written before them or for external endpoints).
  ['serve_steady_adjusted_j_per_output_token', (d) => d.serving?.energy.steady_adjusted_j_per_output_token ?? null],
  ['serve_steady_j_per_request', (d) => d.serving?.energy.steady_j_per_request ?? null],
  ['serve_energy_simulated', (d) => d.serving?.energy.simulated ?? null],
  ['serve_worker_request_shares', (d) => d.serving?.workers.map((w) => w.request_share?.toFixed(3) ?? '').join(';') ?? null],
  ...LAYER_NAMES.flatMap(layerColumns),
  // Serve results with host meters: each layer over the steady state too (empty where there is none).
  ...LAYER_NAMES.map((n): Column => [`serve_steady_layer_${n}_j`, (d) => d.domains?.steady?.layers[n].joules ?? null]),
  ['node_check_passed', (d) => resultLayers(d).node_check?.passed ?? null],
  ['domain_cross_checks_flagged', (d) => resultLayers(d).flagged],
  ['domains_error', (d) => d.domains?.error ?? null],
  // placement: pack (empty for serial runs and results written before it).
  ['placement_gpus', (d) => d.placement?.gpus.join(';') ?? null],
  ['placement_ran', (d) => d.placement?.ran ?? null],
  ['placement_neighbours', (d) => d.placement?.neighbours?.map((n) => n.experiment_id).join(';') ?? null],
  ['placement_neighbours_mean_power_w', (d) => d.placement?.neighbours_mean_power_w ?? null],
  ['warnings', (d) => d.warnings.join(' | ')],
  ['result_path', (_d, r) => r.path],
];

export interface Table {
  header: string[];
  rows: Cell[][];
}

export function experimentsTable(results: readonly CollectedResult[]): Table {
  const configs = uniqueConfigs(results);
  const varied = variedKeys([...configs.values()]);
  const header = [...EXPERIMENT_COLUMNS.map(([name]) => name), ...varied.map((k) => `param.${k}`)];
  // Equal hashes mean equal configs: flatten each configuration once, not once per cycle.
  const params = new Map([...configs].map(([hash, config]) => [hash, varied.map((k) => flattenConfig(config).get(k) ?? null)]));
  const rows = results.map((r) => [...EXPERIMENT_COLUMNS.map(([, get]) => get(r.doc, r)), ...(params.get(r.doc.experiment.config_hash) ?? [])]);
  return { header, rows };
}

/** One config per hash: varied-key detection is then linear in configurations, not in experiments. */
function uniqueConfigs(results: readonly CollectedResult[]): Map<string, Record<string, unknown>> {
  const byHash = new Map<string, Record<string, unknown>>();
  for (const r of results) if (!byHash.has(r.doc.experiment.config_hash)) byHash.set(r.doc.experiment.config_hash, r.doc.experiment.config);
  return byHash;
}
