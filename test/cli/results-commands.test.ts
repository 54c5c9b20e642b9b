import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCampaign, HASH_A, mixedFolder } from '../results/folder-fixture.js';

/** `lem results aggregate | report | compare` as real processes (npm test builds first): exit codes, files, output. */
function lem(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/lem.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const folder = mixedFolder();
const root = folder.root;
// Outputs go outside the results root: a folder there would be one more (empty) campaign.
const outs = mkdtempSync(join(tmpdir(), 'lem-results-out-'));
const fast = ['--resamples', '1000'];

beforeAll(() => {
  if (!existsSync('dist/cli/results-aggregate.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  // camp-a: valid, invalid, partial, missing and simulated results; camp-b and camp-c: the same config, energy −20 %.
  addCampaign(root, 'camp-b');
  addCampaign(root, 'camp-c', { energyScale: 0.8 });
  // "Latest" is by folder time: make camp-c clearly the newest rather than trust the clock's resolution.
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'camp-c'), later, later);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outs, { recursive: true, force: true });
});

describe('lem results aggregate', () => {
  it('writes the three files, prints the table, best/worst, warnings and every skipped file, and exits 0', () => {
    const out = join(outs, 'out-a');
    const r = lem('results', 'aggregate', '--results', root, '--campaign', 'camp-a', '--out', out, ...fast);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['experiments.csv', 'summary.csv', 'summary.json']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(r.stdout).toMatch(/^Aggregated 12 experiments, 3 configurations, from campaign camp-a$/m);
    expect(r.stdout).toMatch(/^Skipped 7 result files:$/m);
    for (const [path] of folder.expectedSkipped) expect(r.stdout).toContain(join(root, path));
    expect(r.stdout).toMatch(/^\| Configuration +\| +n \| J\/output token \(J\/tok\) +\|/m);
    expect(r.stdout).toMatch(/^J\/output token: best vllm bs=64/m);
    expect(r.stdout).toMatch(/^GPU clocks throttled during the measured window: 1$/m);
    expect(r.stdout).toMatch(/^simulated results \(no real GPU measurement\): 3$/m);
    expect(r.stdout).toMatch(/^1 earlier attempts replaced by a later valid one$/m);
  });

  it('defaults to the latest campaign and writes under <results>/_aggregate/<campaign>; --json is machine-readable', () => {
    const r = lem('results', 'aggregate', '--results', root, '--json', ...fast);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      scope: string[];
      files: Record<string, string>;
      experiments: number;
      summary: { config_hash: string }[];
    };
    expect(j.scope).toEqual(['camp-c']);
    expect(j.files['summary_json']).toBe(join(root, '_aggregate', 'camp-c', 'summary.json'));
    expect(j.experiments).toBe(4);
    expect(j.summary.map((s) => s.config_hash)).toEqual([HASH_A]);
  });

  it('aggregates every campaign with --all, and the same seed gives the same numbers', () => {
    const a = lem(
      'results',
      'aggregate',
      '--results',
      root,
      '--all',
      '--out',
      join(outs, 'all-1'),
      '--seed',
      '7',
      ...fast,
    );
    const b = lem(
      'results',
      'aggregate',
      '--results',
      root,
      '--all',
      '--out',
      join(outs, 'all-2'),
      '--seed',
      '7',
      ...fast,
    );
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toMatch(/from 3 campaigns/);
    const configs = (d: string) => JSON.parse(readFileSync(join(outs, d, 'summary.json'), 'utf8')).configs;
    expect(configs('all-1')).toEqual(configs('all-2'));
    expect(configs('all-1').find((c: { config_hash: string }) => c.config_hash === HASH_A).experiments).toBe(13);
  });

  it('exits 2 on usage errors, naming the problem', () => {
    const both = lem('results', 'aggregate', '--results', root, '--campaign', 'camp-a', '--all');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^LEM001: --campaign and --all are mutually exclusive/);
    const bad = lem('results', 'aggregate', '--results', root, '--resamples', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--resamples must be an integer from 100 to 1000000, got "lots"/);
    const missing = lem('results', 'aggregate', '--results', root, '--campaign', 'nope', '--json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe('LEM005');
    const noDir = lem('results', 'aggregate', '--results', join(root, 'does-not-exist'));
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/^LEM003: results folder .* does not exist/);
  });

  it('exits 1 when every result found is invalid, listing them', () => {
    const r = lem('results', 'compare', join(root, 'camp-a', 'truncated'), 'camp-b', '--results', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^LEM030: no valid result.json found/);
    expect(r.stderr).toMatch(/truncated JSON/);
  });
});

describe('lem results report', () => {
  it('writes one self-contained HTML file and lists the charts', () => {
    const out = join(outs, 'report.html');
    const r = lem('results', 'report', '--results', root, '--campaign', 'camp-a', '--out', out, ...fast);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Wrote .*report.html \(12 experiments, 3 configurations\)$/m);
    expect(r.stdout).toMatch(/^ {2}chart {2}pareto$/m);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    expect((html.match(/<svg/g) ?? []).length).toBe(6);
  });

  it('exits 2 for an experiment that is not in the results', () => {
    const r = lem(
      'results',
      'report',
      '--results',
      root,
      '--campaign',
      'camp-a',
      '--out',
      join(outs, 'r2.html'),
      '--experiment',
      'zzz',
      ...fast,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/experiment "zzz" is not among the selected results/);
  });
});

describe('lem results compare', () => {
  it('compares two campaigns by config hash, with ratios, CIs and significance', () => {
    const r = lem('results', 'compare', 'camp-b', 'camp-c', '--results', root, ...fast);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 configurations in both \(matched by config hash\)/);
    expect(r.stdout).toMatch(
      /\| J\/output token \(J\/tok\) +\| +[\d.]+ \| +[\d.]+ \| +0\.800 \[0\.7\d\d, 0\.8\d\d\] \| +<0\.001 \| B better +\|/,
    );
    const j = lem('results', 'compare', 'camp-b', join(root, 'camp-c'), '--results', root, '--json', ...fast);
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.stdout) as { matched: { metrics: { key: string; significant: boolean | null }[] }[] };
    expect(parsed.matched[0]!.metrics.find((m) => m.key === 'j_per_output_token')!.significant).toBe(true);
  });

  it('exits 1 when no configuration is in both', () => {
    const r = lem('results', 'compare', join(root, 'camp-a', 'c0-b'), 'camp-b', '--results', root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^LEM030: no configuration in common \(A has 1, B has 1; matched by config hash\)/);
  });
});

describe('results that failed a validity check', () => {
  const vroot = mkdtempSync(join(tmpdir(), 'lem-results-validity-'));
  afterAll(() => rmSync(vroot, { recursive: true, force: true }));

  it('are left out of aggregate by default and listed with their reasons; --include-invalid keeps them', async () => {
    const { buildResult } = await import('../fixtures/result-builder.js');
    const { writeResultFolder } = await import('./validity-fixture.js');
    const reason = 'window_length: measured window 2.2 s (threshold >= 10 s)';
    for (const cycle of [0, 1, 2]) {
      const invalid = cycle === 2 ? { validity: { valid: false, assessed: true, checks: [], reasons: [reason] } } : {};
      writeResultFolder(vroot, buildResult({ campaignId: 'camp-v', experimentId: `e${cycle}`, cycle }, invalid));
    }
    const r = lem(
      'results',
      'aggregate',
      '--results',
      vroot,
      '--campaign',
      'camp-v',
      '--out',
      join(outs, 'v1'),
      ...fast,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Aggregated 2 experiments, 1 configurations/m);
    expect(r.stdout).toMatch(/^1 results failed a validity check, left out \(--include-invalid keeps them\):$/m);
    expect(r.stdout).toContain(`camp-v/e2/result.json: ${reason}`);
    const j = JSON.parse(readFileSync(join(outs, 'v1', 'summary.json'), 'utf8')) as {
      experiments: number;
      invalid: { reasons: string[] }[];
    };
    expect(j.experiments).toBe(2);
    expect(j.invalid.map((x) => x.reasons)).toEqual([[reason]]);
    const inc = lem(
      'results',
      'aggregate',
      '--results',
      vroot,
      '--campaign',
      'camp-v',
      '--out',
      join(outs, 'v2'),
      '--include-invalid',
      ...fast,
    );
    expect(inc.stdout).toMatch(/^Aggregated 3 experiments/m);
    expect(inc.stdout).toMatch(/kept in the statistics \(--include-invalid\)/);
  });
});
