import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate, type Aggregation } from '../../src/results/aggregate.js';
import { collectResults, type CollectedResult, type Collection } from '../../src/results/collect.js';
import { parseCsv } from '../../src/results/csv.js';
import { bootstrapSeed, summarise, summariseParallel } from '../../src/results/summary.js';
import { bootstrapMeanCI, mean } from '../../src/results/stats.js';
import { bestWorst, paperTable, warningLines } from '../../src/results/text-summary.js';
import { collectWarnings } from '../../src/results/warnings.js';
import { buildResult } from '../fixtures/result-builder.js';
import { HASH_A, HASH_B, HASH_SIM, mixedFolder } from './folder-fixture.js';

const folder = mixedFolder();
let collection: Collection;
let agg: Aggregation;
const opts = { resamples: 2000, seed: 42, level: 0.95 };

beforeAll(async () => {
  const r = await collectResults([join(folder.root, 'camp-a')]);
  if (!r.ok) throw new Error(r.error.message);
  collection = r.value;
  agg = await aggregate(collection, opts, new Date('2026-01-01T00:00:00Z'));
});
afterAll(() => rmSync(folder.root, { recursive: true, force: true }));

const byHash = (h: string) => agg.summaries.find((s) => s.config_hash === h)!;

describe('summary across cycles', () => {
  it('has one row per config hash with n, mean, std, CV and CI', () => {
    expect(agg.summaries.map((s) => s.config_hash).sort()).toEqual([HASH_A, HASH_B, HASH_SIM]);
    const a = byHash(HASH_A);
    expect(a.experiments).toBe(5);
    const tps = a.metrics['output_tokens_per_s']!;
    expect(tps.n).toBe(5);
    expect(tps.mean).toBeCloseTo((1000 + 1040 + 980 + 1010 + 1020) / 5, 9);
    expect(tps.ci_low!).toBeLessThan(tps.mean!);
    expect(tps.ci_high!).toBeGreaterThan(tps.mean!);
  });

  it("gives each metric the CI bootstrapMeanCI computes for its values with the config's seed", () => {
    const a = byHash(HASH_A);
    const values = collection.results.filter((r) => r.doc.experiment.config_hash === HASH_A).map((r) => r.doc.energy.j_per_output_token!);
    const ci = bootstrapMeanCI(values, { resamples: opts.resamples, seed: bootstrapSeed(opts.seed, HASH_A, '11111'), level: 0.95 })!;
    expect(a.metrics['j_per_output_token']).toMatchObject({ n: 5, mean: mean(values), ci_low: ci.low, ci_high: ci.high });
  });

  it('counts only non-null values: simulated energy has n 0 and null statistics, never zeros', () => {
    const sim = byHash(HASH_SIM);
    expect(sim.simulated).toBe(3);
    expect(sim.metrics['j_per_output_token']).toEqual({ n: 0, mean: null, std: null, cv: null, ci_low: null, ci_high: null, ci_reliable: null });
    expect(sim.metrics['adjusted_j_per_output_token']!.n).toBe(0);
    expect(sim.metrics['output_tokens_per_s']!.n).toBe(3);
  });

  it('has no CI or std for a single cycle, and never mixes simulated and measured results of one config hash', () => {
    const docs: CollectedResult[] = [
      { path: 'a', dir: '.', doc: buildResult({ configHash: 'dddddddddddd', cycle: 0 }) },
      { path: 'b', dir: '.', doc: buildResult({ configHash: 'dddddddddddd', cycle: 1, simulated: true }) },
      { path: 'c', dir: '.', doc: buildResult({ configHash: 'dddddddddddd', cycle: 2, simulated: true }) },
    ];
    const rows = summarise(docs, opts);
    expect(rows.map((r) => [r.config_hash, r.experiments, r.simulated])).toEqual([
      ['dddddddddddd', 1, 0],
      ['dddddddddddd', 2, 2],
    ]);
    const [measured, simulated] = rows;
    expect(measured!.label).toBe('vllm');
    expect(simulated!.label).toBe('vllm (simulated)');
    expect(measured!.metrics['j_per_output_token']).toMatchObject({ n: 1, std: null, cv: null, ci_low: null, ci_high: null });
    expect(measured!.metrics['output_tokens_per_s']!.n).toBe(1);
    expect(simulated!.metrics['j_per_output_token']).toMatchObject({ n: 0, mean: null });
    expect(simulated!.metrics['output_tokens_per_s']!.n).toBe(2);
    // Warnings name the row they belong to.
    const warnings = collectWarnings(docs, rows).filter((w) => w.kind === 'simulated');
    expect(warnings.map((w) => w.label)).toEqual(['vllm (simulated)', 'vllm (simulated)']);
  });

  it('does not depend on the order results were read in', () => {
    const shuffled = [...collection.results].reverse();
    expect(summarise(shuffled, opts)).toEqual(summarise(collection.results, opts));
  });

  it('gives the same numbers on worker threads as on the main thread (built worker in dist/)', async () => {
    if (!existsSync('dist/results/bootstrap-worker.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    // `as string` keeps tsc from type-checking the built file (it has no declarations).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const built = (await import('../../dist/results/summary.js' as string)) as { summariseParallel: typeof summariseParallel };
    const parallel = await built.summariseParallel(collection.results, opts, { threads: 3, minCost: 0 });
    expect(parallel).toEqual(summarise(collection.results, opts));
  });
});

describe('experiments.csv and summary.csv', () => {
  it('has one row per experiment and cycle, every scalar metric a column, and the varied parameters', () => {
    const [header, ...rows] = parseCsv(agg.experimentsCsv);
    expect(rows).toHaveLength(collection.results.length);
    for (const col of [
      'campaign_id', 'experiment_id', 'config_hash', 'cycle', 'attempt', 'backend', 'model', 'precision', 'batch_size', 'input_tokens', 'output_tokens',
      'output_tokens_per_s', 'ttft_ms_p50', 'ttft_ms_p99', 'itl_ms_p50', 'tpot_ms_p50', 'e2e_ms_p95', 'energy_counter_j', 'energy_integrated_j', 'baseline_j',
      'energy_adjusted_j', 'j_per_output_token', 'adjusted_j_per_output_token', 'power_mean_w', 'power_max_w', 'max_temp_c', 'throttled', 'warmup_runs',
      'warmup_converged', 'simulated', 'param.vllm.max_num_seqs',
    ]) {
      expect(header, col).toContain(col);
    }
    const col = (name: string) => header!.indexOf(name);
    const sim = rows.find((r) => r[col('config_hash')] === HASH_SIM)!;
    expect(sim[col('simulated')]).toBe('true');
    expect(sim[col('j_per_output_token')]).toBe(''); // null stays empty, never 0
    const retried = rows.find((r) => r[col('experiment_id')] === 'c4-a')!;
    expect(retried[col('attempt')]).toBe('2');
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
  });

  it('carries GPU memory and utilisation (gpu_usage) as columns, empty where the run measured none', async () => {
    const [header, ...rows] = parseCsv(agg.experimentsCsv);
    const col = (name: string) => header!.indexOf(name);
    const usage = ['gpu_memory_used_max_mib', 'gpu_memory_used_mean_mib', 'gpu_utilization_gpu_mean_pct', 'gpu_utilization_memory_mean_pct'];
    for (const c of usage) expect(header, c).toContain(c);
    const measured = rows.find((r) => r[col('experiment_id')] === 'c0-a')!;
    expect(usage.map((c) => measured[col(c)])).toEqual(['71000', '71000', '97', '60']);
    const sim = rows.find((r) => r[col('config_hash')] === HASH_SIM)!;
    expect(usage.map((c) => sim[col(c)])).toEqual(['', '', '', '']); // null stays empty, never 0

    // Two GPUs, and a GPU without utilisation readings: each field on its own, a null is an empty cell.
    const doc = buildResult(
      { configHash: '999999999999', gpuCount: 2 },
      { gpu_usage: { memory_used_max_mib: 150_322.5, memory_used_mean_mib: 149_000.25, utilization_gpu_mean_pct: null, utilization_memory_mean_pct: null } },
    );
    const one = await aggregate({ sources: [], results: [{ path: 'p', dir: '.', doc }], superseded: [], skipped: [] }, opts);
    const [h, row] = parseCsv(one.experimentsCsv);
    expect(usage.map((c) => row![h!.indexOf(c)])).toEqual(['150322.5', '149000.25', '', '']);
  });

  it('summary.csv has n, mean, std, cv and CI columns for each headline metric', () => {
    const [header, ...rows] = parseCsv(agg.summaryCsv);
    expect(rows).toHaveLength(3);
    for (const m of ['j_per_output_token', 'adjusted_j_per_output_token', 'output_tokens_per_s', 'ttft_p50_ms', 'ttft_p95_ms', 'e2e_p50_ms', 'e2e_p95_ms']) {
      for (const f of ['n', 'mean', 'std', 'cv', 'ci_low', 'ci_high']) expect(header).toContain(`${m}_${f}`);
    }
  });

  it('summary.json records the bootstrap settings, definitions and skipped files', () => {
    expect(agg.summaryJson.bootstrap).toMatchObject({ method: 'percentile', resamples: 2000, seed: 42, level: 0.95 });
    expect(agg.summaryJson.skipped).toHaveLength(folder.expectedSkipped.length);
    expect(agg.summaryJson.superseded).toHaveLength(1);
    expect(agg.summaryJson.definitions['std']).toMatch(/n - 1/);
  });
});

describe('warnings and the text summary', () => {
  it('flags throttled, unconverged, simulated and short-window runs', () => {
    const kinds = new Set(agg.warnings.map((w) => w.kind));
    for (const k of ['throttled', 'warmup_unconverged', 'simulated', 'short_window'] as const) expect(kinds.has(k), k).toBe(true);
    expect(agg.warnings.find((w) => w.kind === 'throttled')).toMatchObject({ experiment_id: 'c1-b', config_hash: HASH_B });
  });

  it('flags a CV above 10 % and energy missing on a real engine', async () => {
    const docs: CollectedResult[] = [900, 1000, 1300].map((t, cycle) => ({ path: String(cycle), dir: '.', doc: buildResult({ configHash: 'eeeeeeeeeeee', cycle, outputTokensPerS: t }) }));
    docs.push({ path: 'x', dir: '.', doc: buildResult({ configHash: 'ffffffffffff' }, { energy: { available: false, reason: 'NVML not available in the container', counter_j: null, j_per_output_token: null } }) });
    const a = await aggregate({ sources: [], results: docs, superseded: [], skipped: [] }, opts);
    expect(a.warnings.filter((w) => w.kind === 'high_cv').map((w) => w.message).join()).toMatch(/Output tok\/s CV 1\d\.\d %/);
    expect(a.warnings.find((w) => w.kind === 'energy_unavailable')!.message).toContain('NVML not available');
  });

  it('prints a pasteable table with CIs, n/a for unmeasured energy, best and worst', () => {
    const table = paperTable(agg.summaries);
    expect(table.split('\n')[1]).toMatch(/^\|-+\|-+:\|/);
    expect(table).toMatch(/vllm bs=64 max_num_seqs=64 +\| +4 \| +[\d.]+ \[[\d.]+, [\d.]+\]/);
    expect(table).toMatch(/synthetic .*\| +n\/a \|/);
    const bw = bestWorst(agg.summaries).join('\n');
    expect(bw).toMatch(/J\/output token: best vllm bs=64 max_num_seqs=64 .* worst vllm bs=8 max_num_seqs=8/);
    expect(warningLines(agg.warnings).join('\n')).toMatch(/GPU clocks throttled during the measured window: 1/);
  });
});
