import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainsBlock, SAME_HOST_CLOCK } from '../../src/meters/result-domains.js';
import type { SourceSamples } from '../../src/meters/samples.js';
import { aggregate, type Aggregation } from '../../src/results/aggregate.js';
import { collectResults } from '../../src/results/collect.js';
import { parseCsv } from '../../src/results/csv.js';
import { buildReport } from '../../src/results/report/build.js';
import type { Collection } from '../../src/results/collect.js';
import { buildResult, defaultConfig, writeResult } from '../fixtures/result-builder.js';

// Old results (schema v3, and v4 from before host meters) aggregate beside results that carry domains: their GPU
// layer comes from the harness's figures and every host layer is missing with the reason, never 0.

const root = mkdtempSync(join(tmpdir(), 'lem-layers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let agg: Aggregation;
let collection: Collection;

const window = { start_unix_s: 5000, end_unix_s: 5010 };
const host = (packageW: number, nodeW: number): SourceSamples[] => [
  {
    source: 'rapl /sys/class/powercap',
    clockOffsetS: 0,
    notes: [],
    samples: Array.from({ length: 121 }, (_, i) => ({
      t: 4997 + i * 0.125,
      domain: 'cpu:package-0',
      joules: packageW * i * 0.125,
    })),
  },
  {
    source: 'csv wall.csv',
    clockOffsetS: 0,
    notes: [],
    samples: Array.from({ length: 31 }, (_, i) => ({ t: 4997 + i * 0.5, domain: 'node', watts: nodeW })),
  },
];

beforeAll(async () => {
  const camp = 'camp-l';
  const sources = [{ type: 'rapl', root: '/sys/class/powercap' }];
  const metered = defaultConfig('vllm', 8, { measurement: { sources } });
  const m = { campaignId: camp, configHash: 'mmmmmmmmmmmm', config: metered };
  [60, 70].forEach((w, cycle) => {
    const doc = buildResult({ ...m, experimentId: `m${cycle}`, cycle }, { window });
    writeResult(root, { ...doc, domains: domainsBlock(doc, host(w, 900), SAME_HOST_CLOCK) });
  });
  // A metered config whose second run stopped before lem wrote the host figures.
  writeResult(root, buildResult({ ...m, experimentId: 'm2', cycle: 2 }));
  const plain = { campaignId: camp, configHash: 'pppppppppppp', config: defaultConfig('vllm', 16) };
  writeResult(root, buildResult({ ...plain, experimentId: 'plain' }));
  mkdirSync(join(root, 'gpu-validation', 'bs8'), { recursive: true });
  const v3 = 'test/fixtures/results-v3/with-gpu-usage/result.json';
  copyFileSync(v3, join(root, 'gpu-validation', 'bs8', 'result.json'));
  const r = await collectResults([root]);
  if (!r.ok) throw new Error(r.error.message);
  expect(r.value.skipped).toEqual([]);
  collection = r.value;
  agg = await aggregate(r.value, { resamples: 200, seed: 1, level: 0.95 });
});

describe('energy by layer in lem results aggregate', () => {
  it('summarises each layer over the cycles that have it, listing why the others have none', () => {
    const m = agg.summaryJson.layers.find((l) => l.config_hash === 'mmmmmmmmmmmm')!;
    expect(m.experiments).toBe(3);
    expect(m.layers.cpu.n).toBe(2);
    expect(m.layers.cpu.mean_j).toBeCloseTo(((60 + 70) / 2) * 10, 6);
    expect(m.layers.cpu.missing).toEqual([
      { reason: expect.stringMatching(/^not recorded: the run stopped before/), results: 1 },
    ]);
    expect(m.layers.node.mean_j).toBeCloseTo(9000, 6);
    expect(m.layers.gpu.n).toBe(3);
    expect(m.layers.dram.n).toBe(0);
    expect(m.layers.dram.mean_j).toBeNull();
    expect(m.layers.dram.missing[0]!.reason).toMatch(/^not measured: no source for the DRAM/);
    expect(m.node_check_failed).toBe(0);
  });

  it('old results (v3, and v4 without domains) keep their GPU figure and show host layers as not measured', () => {
    {
      const l = agg.summaryJson.layers.find((x) => x.config_hash === 'pppppppppppp')!;
      expect(l.layers.gpu.n).toBe(1);
      for (const name of ['cpu', 'dram', 'node', 'rest_of_node'] as const) {
        expect(l.layers[name]).toMatchObject({ n: 0, mean_j: null });
        const reason = 'not measured: the experiment named no measurement.sources';
        expect(l.layers[name].missing).toEqual([{ reason, results: 1 }]);
      }
    }
    const [header, ...rows] = parseCsv(agg.experimentsCsv) as [string[], ...string[][]];
    const col = (name: string) => header.indexOf(name);
    const v3 = rows.find((r) => r[col('campaign_id')] === 'gpu-validation')!;
    expect(Number(v3[col('layer_gpu_j')])).toBeCloseTo(Number(v3[col('energy_counter_j')]), 6);
    expect(v3[col('layer_cpu_j')]).toBe('');
    expect(v3[col('layer_cpu_missing')]).toMatch(/^not measured/);
    const m0 = rows.find((r) => r[col('experiment_id')] === 'm0')!;
    expect(Number(m0[col('layer_cpu_j')])).toBeCloseTo(600, 6);
    expect(Number(m0[col('layer_cpu_j_per_output_token')])).toBeCloseTo(600 / Number(m0[col('output_tokens')]), 9);
    expect(m0[col('node_check_passed')]).toBe('true');
  });
});

describe('energy by layer in lem results report', () => {
  it('draws the layered bar and writes each layer, missing ones with their reason, never as 0', async () => {
    const { summaries, warnings } = agg;
    const input = { collection, summaries, warnings, scope: ['camp-l'], level: 0.95, resamples: 200 };
    const r = await buildReport(input);
    if (!r.ok) throw new Error(r.error.message);
    const html = r.value.html;
    const at = html.indexOf('<section id="layers">');
    expect(at).toBeGreaterThan(0);
    const layers = html.slice(at, html.indexOf('</section>', at));
    expect(layers).toContain('data-chart="layers"');
    expect(layers).toContain('<svg');
    expect(layers).toContain('Rest of node');
    // The metered configuration: CPU over 2 of 3 cycles, with why the third has none; DRAM missing with why.
    expect(layers).toContain('(2 of 3; missing: not recorded: the run stopped before');
    expect(layers).toContain('not measured: no source for the DRAM');
    expect(layers).toContain('not measured: the experiment named no measurement.sources');
    expect(layers).not.toMatch(/>0 J</);
  });
});
