import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResult, writeResult } from '../fixtures/result-builder.js';
import { CAMPAIGN, hostileFolder, type HostileFolder } from '../results/hostile-fixture.js';

/**
 * `lem results` as real processes over a hostile results folder (test/results/hostile-fixture.ts): the command
 * finishes (no FIFO wait, no /dev/zero read), prints no raw control character, and lists every skipped file. And
 * the results commands find the project from any subfolder, as the campaign commands do.
 */
const LEM = resolve('bin/lem.js');
function lem(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LEM, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
// Control characters other than the newline: what an escape sequence needs.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let folder: HostileFolder;
const outs = mkdtempSync(join(tmpdir(), 'lem-hostile-out-'));
beforeAll(() => {
  if (!existsSync('dist/cli/results-aggregate.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  folder = hostileFolder();
});
afterAll(() => {
  rmSync(dirname(folder.root), { recursive: true, force: true });
  rmSync(outs, { recursive: true, force: true });
});

describe('lem results aggregate over a hostile folder', () => {
  it('finishes, skips every bad file by name and reason, and escapes control characters in what it prints', () => {
    const r = lem(
      outs,
      'results',
      'aggregate',
      '--results',
      folder.root,
      '--campaign',
      CAMPAIGN,
      '--out',
      join(outs, 'agg'),
      '--max-result-mb',
      '1',
      '--resamples',
      '100',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Skipped ${folder.expectedSkipped.length} result files:$`, 'm'));
    for (const [path, reason] of folder.expectedSkipped) {
      const line = r.stdout.split('\n').find((l) => l.includes(join(folder.root, path)));
      expect(line, path).toMatch(reason);
    }
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stdout).toContain('esc-\\x1b]0;pwned\\x07\\x1b[2J');
  });

  it('refuses a --max-result-mb that is not a positive integer', () => {
    const r = lem(outs, 'results', 'aggregate', '--results', folder.root, '--max-result-mb', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-result-mb must be an integer from 1 to 4096, got "0"/);
  });
});

describe('lem results from a subfolder of a project', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'lem-project-'));
    copyFileSync('compose.yaml', join(project, 'compose.yaml'));
    mkdirSync(join(project, 'campaigns', 'deeper'), { recursive: true });
    for (let cycle = 0; cycle < 2; cycle++)
      writeResult(join(project, 'results'), buildResult({ campaignId: 'camp-p', experimentId: `c${cycle}`, cycle }));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('finds the project by walking up to compose.yaml, as the campaign commands do', () => {
    const r = lem(join(project, 'campaigns', 'deeper'), 'results', 'aggregate', '--resamples', '100');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(project, 'results', '_aggregate', 'camp-p', 'summary.json'))).toBe(true);
  });

  it('takes --project from anywhere, for report too', () => {
    const r = lem(
      outs,
      'results',
      'report',
      '--project',
      project,
      '--out',
      join(outs, 'report.html'),
      '--resamples',
      '100',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(outs, 'report.html'), 'utf8')).toContain('camp-p');
  });
});
