import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate, type Aggregation } from '../../src/results/aggregate.js';
import { collectResults, type Collection } from '../../src/results/collect.js';
import { csvCell, parseCsv } from '../../src/results/csv.js';
import { samplesPath } from '../../src/results/samples.js';
import { buildReport } from '../../src/results/report/build.js';
import { summarise } from '../../src/results/summary.js';
import { bestWorst } from '../../src/results/text-summary.js';
import { collectWarnings } from '../../src/results/warnings.js';
import {
  CAMPAIGN,
  ESCAPE_ID,
  HASH_FORMULA,
  HASH_REAL,
  hostileFolder,
  SECRET_LINE,
  TEST_LIMIT_BYTES,
  type HostileFolder,
} from './hostile-fixture.js';

/**
 * Aggregation and the report over a folder a hostile container could leave (hostile-fixture.ts): every bad file is
 * skipped with its reason and nothing blocks, nothing reads past a limit, nothing leaves the result folder, and the
 * valid results are aggregated as if the bad ones were not there.
 */
const opts = { resamples: 1000, seed: 7, level: 0.95 };
let folder: HostileFolder;
let collection: Collection;
let agg: Aggregation;

beforeAll(async () => {
  folder = hostileFolder();
  const r = await collectResults([join(folder.root, CAMPAIGN)], { maxResultBytes: TEST_LIMIT_BYTES });
  if (!r.ok) throw new Error(r.error.message);
  collection = r.value;
  agg = await aggregate(collection, opts);
});
afterAll(() => rmSync(dirname(folder.root), { recursive: true, force: true }));

describe('collecting results from a hostile folder', () => {
  it('skips each bad file with its reason (no read of /dev/zero, no wait on a FIFO, no stack overflow)', () => {
    const skipped = new Map(collection.skipped.map((s) => [s.path, s.reason]));
    for (const [path, reason] of folder.expectedSkipped)
      expect(skipped.get(join(folder.root, path)), path).toMatch(reason);
    expect(collection.skipped).toHaveLength(folder.expectedSkipped.length);
  });

  it('keeps every valid result: 3 measured, 2 simulated, the formula, escape, traversal and linked-samples ones', () => {
    expect(collection.results.map((r) => r.doc.experiment.experiment_id).sort()).toEqual(
      [
        'real-0',
        'real-1',
        'real-2',
        'sim-0',
        'sim-1',
        '=HYPERLINK("http://x")',
        ESCAPE_ID,
        'traversal',
        'linked-samples',
      ].sort(),
    );
  });

  it('reads a file under the default limit that a 1 MiB limit refuses', async () => {
    const r = await collectResults([join(folder.root, CAMPAIGN, 'oversized')]);
    expect(r.ok && r.value.results.map((x) => x.doc.experiment.experiment_id)).toEqual(['big']);
  });
});

describe('aggregating results that disagree', () => {
  it('never merges simulated results into the measured row of the same config hash', () => {
    const rows = agg.summaries.filter((s) => s.config_hash === HASH_REAL);
    expect(rows.map((s) => [s.experiments, s.simulated, s.energy_available])).toEqual([
      [6, 0, 6],
      [2, 2, 0],
    ]);
    const [real, simulated] = rows.map((s) => s.label);
    expect(real).toMatch(/^vllm .*bs=8$/);
    expect(simulated).toBe(`${real} (simulated)`);
    const measured = rows[0]!.metrics['output_tokens_per_s']!;
    // The simulated 9,000 tok/s never reaches the measured mean.
    expect(measured.mean!).toBeLessThan(2000);
    const csv = parseCsv(agg.summaryCsv);
    const label = csv[0]!.indexOf('label');
    expect(csv.slice(1).map((r) => r[label])).toEqual(expect.arrayContaining([real, simulated]));
  });

  it('names no invalid value best: the negative and absurd results are not in any row', () => {
    const lines = bestWorst(agg.summaries);
    expect(lines.join('\n')).not.toMatch(/n\/a|-0\.5|e\+300/);
    // The simulated row's synthetic 9,000 tok/s is no rival to measured throughput.
    expect(lines.find((l) => l.startsWith('Output tok/s:'))).not.toMatch(/simulated/);
    for (const s of agg.summaries)
      for (const m of Object.values(s.metrics)) if (m.mean !== null) expect(m.mean).toBeGreaterThanOrEqual(0);
  });
});

describe('CSV cells a spreadsheet would run', () => {
  it('neutralises formula text with a leading quote in experiments.csv and summary.csv; numbers stay numbers', () => {
    const rows = parseCsv(agg.experimentsCsv);
    const header = rows[0]!;
    const row = rows.find((r) => r[header.indexOf('config_hash')] === HASH_FORMULA)!;
    expect(row[header.indexOf('experiment_id')]).toBe(`'=HYPERLINK("http://x")`);
    expect(row[header.indexOf('model')]).toBe(`'+SUM(1,2)`);
    expect(row[header.indexOf('precision')]).toBe(`'@cmd`);
    expect(row[header.indexOf('param.extra.note')]).toBe(`'-2+3`);
    expect(row[header.indexOf('energy_disagreement_pct')]).toBe('-0.4');
    const summary = parseCsv(agg.summaryCsv);
    const srow = summary.find((r) => r[0] === HASH_FORMULA)!;
    expect(srow[summary[0]!.indexOf('model')]).toBe(`'+SUM(1,2)`);
  });

  it('applies the rule cell by cell', () => {
    expect(['=1+1', '+1+1', '-1+1', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual([
      "'=1+1",
      "'+1+1",
      "'-1+1",
      "'@SUM(A1)",
      "'\tx",
      `"'\rx"`,
    ]);
    expect([-3, -0.5, '-0.5', '+2', '1e-3', 'plain', 'a=b'].map(csvCell)).toEqual([
      '-3',
      '-0.5',
      '-0.5',
      '+2',
      '1e-3',
      'plain',
      'a=b',
    ]);
  });
});

describe('samples.csv of a hostile result', () => {
  const find = (id: string) => collection.results.find((r) => r.doc.experiment.experiment_id === id)!;

  it('is not read when files.samples_csv climbs out of the result folder', async () => {
    const r = find(folder.traversalId);
    const path = await samplesPath(r.doc, r.dir);
    expect(path.ok).toBe(false);
    expect(!path.ok && path.error).toMatch(
      /files\.samples_csv "(\.\.\/)+.*host-passwd" points outside the result folder .*; not read/,
    );
  });

  it('is not followed when it is a link to a file outside the result folder', async () => {
    const r = find(folder.linkedSamplesId);
    const path = await samplesPath(r.doc, r.dir);
    expect(!path.ok && path.error).toMatch(/points outside the result folder/);
  });

  it('is read from inside the folder, and an absolute container path falls back to its file name there', async () => {
    const r = find('real-0');
    expect(await samplesPath(r.doc, r.dir)).toEqual({ ok: true, value: join(r.dir, 'samples.csv') });
    const moved = { ...r.doc, files: { samples_csv: '/app/results/hostile/real-0/samples.csv' } };
    expect(await samplesPath(moved, r.dir)).toEqual({ ok: true, value: join(r.dir, 'samples.csv') });
    const climbing = { ...r.doc, files: { samples_csv: '/app/results/..' } };
    expect((await samplesPath(climbing, r.dir)).ok).toBe(false);
  });

  it('keeps the host file out of the report and says why the power chart is missing', async () => {
    // Only the result that matters here: the report's charts are then small and quick to draw.
    const only = { ...collection, results: [find(folder.traversalId)] };
    const summaries = summarise(only.results, opts);
    const warnings = collectWarnings(only.results, summaries);
    const input = { collection: only, summaries, warnings, scope: [CAMPAIGN], level: 0.95, resamples: opts.resamples };
    const r = await buildReport(input, { experimentId: folder.traversalId });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.charts.find((c) => c.id === 'power')!.note).toMatch(/points outside the result folder/);
    expect(r.value.html).not.toContain(SECRET_LINE);
  });
});
