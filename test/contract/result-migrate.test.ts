import { globSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { migrateResult } from '../../src/contract/result-migrate.js';
import { aggregate } from '../../src/results/aggregate.js';
import { collectResults } from '../../src/results/collect.js';
import { DEFAULT_SUMMARY_OPTIONS } from '../../src/results/summary.js';
import { buildResult } from '../fixtures/result-builder.js';

const read = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const WITHOUT = 'test/fixtures/results-v3/without-gpu-usage/result.json';
const WITH = 'test/fixtures/results-v3/with-gpu-usage/result.json';
const RAW = globSync('docs/validation/raw/**/result.json').sort();

function migrated(raw: unknown): ResultDocument {
  const r = migrateResult(raw);
  if (!r.ok) throw new Error(r.error);
  // What the migration returns must itself be a valid current document.
  return ResultDocument.parse(r.value);
}

describe('result schema migration v3, v4 and v5 -> v6', () => {
  it('reads a v3 result written before gpu_usage existed, with gpu_usage null and the baseline named loaded_idle', () => {
    const raw = read(WITHOUT) as { energy: { baseline_power_w: number; adjusted_j_per_output_token: number } };
    const doc = migrated(raw);
    expect(doc.schema_version).toBe(6);
    expect(doc.gpu_usage).toEqual({
      memory_used_max_mib: null,
      memory_used_mean_mib: null,
      utilization_gpu_mean_pct: null,
      utilization_memory_mean_pct: null,
      samples: 0,
    });
    expect(doc.energy.baseline).toBe('loaded_idle');
    expect(doc.baselines.device_idle).toBeNull();
    expect(doc.baselines.loaded_idle?.power_w).toBe(raw.energy.baseline_power_w);
    expect(doc.energy.adjusted.loaded_idle?.adjusted_j_per_output_token).toBe(raw.energy.adjusted_j_per_output_token);
    expect(doc.validity).toEqual({ valid: true, assessed: false, checks: [], reasons: [] });
    expect(doc.warmup.cold_run_excluded).toBe(false);
    expect(doc.uncertainty).toBeNull();
  });

  it('keeps the gpu_usage of a v3 result that has it, and every v3 figure as it was', () => {
    const raw = read(WITH) as Record<string, unknown>;
    const doc = migrated(raw);
    expect(doc.gpu_usage).toEqual(raw['gpu_usage']);
    for (const key of [
      'experiment',
      'environment',
      'timing',
      'tokens',
      'throughput',
      'latency',
      'power',
      'thermal',
      'warnings',
      'files',
    ]) {
      expect(doc[key as keyof ResultDocument]).toEqual(raw[key]);
    }
    expect(doc.window.target_s).toBe(10); // the v3 run's measurement.min_measure_s
  });

  it('passes a v6 document through unchanged', () => {
    const doc = buildResult();
    const r = migrateResult(JSON.parse(JSON.stringify(doc)));
    expect(r.ok && r.value).toEqual(doc);
  });

  it.each([4, 5])(
    'reads a v%i document as v6 with every field as it was (v5 and v6 only added optional blocks)',
    (v) => {
      const doc = buildResult();
      const older = { ...(JSON.parse(JSON.stringify(doc)) as object), schema_version: v };
      const r = migrateResult(older);
      expect(r.ok && r.value).toEqual(doc);
      const broken = migrateResult({ ...older, gpu_usage: undefined });
      expect(!broken.ok && broken.error).toMatch(new RegExp(`^does not match the result schema v${v}: gpu_usage`));
    },
  );

  it('refuses unknown versions and a v3 document that breaks its own schema, naming the version', () => {
    const r2 = migrateResult({ ...(read(WITH) as object), schema_version: 2 });
    expect(!r2.ok && r2.error).toMatch(/schema_version 2 is not supported \(expected 3, 4, 5 or 6\)/);
    const extra = migrateResult({ ...(read(WITH) as object), validity: {} });
    expect(!extra.ok && extra.error).toMatch(/result schema v3: .*validity/);
    const v4Shape = migrateResult({ ...(buildResult() as object), schema_version: 3 });
    expect(v4Shape.ok).toBe(false);
  });

  it('migrates every result kept under docs/validation/raw, and they aggregate', async () => {
    expect(RAW.length).toBeGreaterThan(0);
    for (const path of RAW) expect(migrated(read(path)).experiment.experiment_id).toBeTruthy();
    const collected = await collectResults([...new Set(RAW.map((p) => dirname(dirname(p))))].map((d) => join(d)));
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.value.skipped).toEqual([]);
    // Repeated validation runs keep the same experiment ids (raw/meters-crosscheck/run-1..3): one is read as the
    // latest, the others as superseded attempts; every file is read either way.
    const { results, superseded } = collected.value;
    expect(results.length + superseded.length).toBe(RAW.length);
    const agg = await aggregate(collected.value, { ...DEFAULT_SUMMARY_OPTIONS, resamples: 200 });
    expect(agg.summaryJson.experiments).toBe(results.length);
  });
});
