import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ResultDocument } from '../../src/contract/result.js';
import { buildResult, defaultConfig, writeResult } from '../fixtures/result-builder.js';

/**
 * A results folder built the way a hostile container or a broken disk could leave it, beside a few valid results:
 * result.json linked to /dev/zero, a FIFO, an oversized file, a config nested 5,000 deep, negative and absurd
 * metrics, a samples.csv path leading out of its folder (and a samples.csv linked out), cells a spreadsheet would
 * run as formulas, a terminal escape sequence in an experiment id, and simulated results under a measured
 * configuration's hash. Each entry names what lem must do with it.
 */
export const CAMPAIGN = 'hostile';
export const HASH_REAL = 'aaaaaaaaaaaa';
export const HASH_FORMULA = 'ffffffffffff';
/** The first line of a host file no report may show. */
export const SECRET_LINE = 'root-secret:x:0:0:do-not-show';
export const ESCAPE_ID = 'esc-\u001b]0;pwned\u0007\u001b[2J';
/** A result.json over this size is refused (the test passes it as the limit). */
export const TEST_LIMIT_BYTES = 1024 * 1024;

export interface HostileFolder {
  root: string;
  /** A host file outside the results folder, whose first line is SECRET_LINE. */
  secret: string;
  /** Result paths (relative to root) that must be skipped, with the pattern their reason must match. */
  expectedSkipped: [string, RegExp][];
  /** Experiment id of the result whose files.samples_csv climbs out of its folder. */
  traversalId: string;
  /** Experiment id of the result whose samples.csv is a link to the host file. */
  linkedSamplesId: string;
}

export function hostileFolder(): HostileFolder {
  const base = mkdtempSync(join(tmpdir(), 'lem-hostile-'));
  const root = join(base, 'results');
  const secret = join(base, 'host-passwd');
  writeFileSync(secret, `${SECRET_LINE}\nt_s,power_w\n0,1\n`);
  const cfg = defaultConfig('vllm', 8);
  const result = (
    experimentId: string,
    cycle: number,
    extra: Partial<Parameters<typeof buildResult>[0]> = {},
  ): ResultDocument =>
    buildResult({ campaignId: CAMPAIGN, experimentId, configHash: HASH_REAL, cycle, config: cfg, ...extra });
  // Valid measured results, and simulated ones under the same config hash (a synthetic run of the same config).
  for (let cycle = 0; cycle < 3; cycle++) writeResult(root, result(`real-${cycle}`, cycle, { powerW: 480 + cycle }));
  for (let cycle = 0; cycle < 2; cycle++)
    writeResult(root, result(`sim-${cycle}`, cycle, { simulated: true, outputTokensPerS: 9_000 }));
  // Formula cells: names and config text from the result; numbers, negative ones included, stay numbers.
  const formulaCfg = {
    ...defaultConfig('vllm', 16),
    model: { name: '+SUM(1,2)', fp_precision: '@cmd' },
    extra: { note: '-2+3' },
  };
  writeResult(
    root,
    buildResult(
      { campaignId: CAMPAIGN, experimentId: '=HYPERLINK("http://x")', configHash: HASH_FORMULA, config: formulaCfg },
      { energy: { disagreement_pct: -0.4 } },
    ),
    { dir: join(CAMPAIGN, 'formula') },
  );
  // Throttled, so that its id is printed among the warnings.
  writeResult(root, result(ESCAPE_ID, 4, { throttled: true }), { dir: join(CAMPAIGN, 'escape') });
  // A samples.csv path that climbs out of the result folder to the host file, and a samples.csv linked to it.
  const traversalId = 'traversal';
  const traversalDir = join(root, CAMPAIGN, 'traversal');
  const climb = relative(traversalDir, secret);
  writeResult(root, result(traversalId, 5), { dir: join(CAMPAIGN, 'traversal'), samples: false });
  patchJson(join(traversalDir, 'result.json'), (d) => (d.files.samples_csv = climb));
  const linkedSamplesId = 'linked-samples';
  writeResult(root, result(linkedSamplesId, 6), { dir: join(CAMPAIGN, 'linked-samples'), samples: false });
  symlinkSync(secret, join(root, CAMPAIGN, 'linked-samples', 'samples.csv'));

  const expectedSkipped: [string, RegExp][] = [];
  const bad = (name: string, write: (path: string) => void, reason: RegExp): void => {
    mkdirSync(join(root, CAMPAIGN, name), { recursive: true });
    write(join(root, CAMPAIGN, name, 'result.json'));
    expectedSkipped.push([join(CAMPAIGN, name, 'result.json'), reason]);
  };
  const json = (doc: unknown) => (path: string) => writeFileSync(path, JSON.stringify(doc));
  bad('dev-zero', (p) => symlinkSync('/dev/zero', p), /not read: a symbolic link, not a regular file/);
  bad('linked-host-file', (p) => symlinkSync(secret, p), /not read: a symbolic link, not a regular file/);
  bad('fifo', (p) => mkfifo(p), /not read: not a regular file \(a FIFO\)/);
  bad('folder', (p) => mkdirSync(p), /not read: not a regular file \(a folder\)/);
  bad(
    'oversized',
    (p) => writeFileSync(p, JSON.stringify(result('big', 7)) + ' '.repeat(TEST_LIMIT_BYTES)),
    /not read: 1\.0 MiB, over the 1\.0 MiB limit/,
  );
  // Written as text: JSON.stringify itself recurses and would overflow first.
  const deep = JSON.stringify(result('deep', 8, { config: { ...cfg, extra: 'DEEP' } })).replace('"DEEP"', nested(5000));
  bad('deep', (p) => writeFileSync(p, deep), /nested deeper than 64 levels/);
  const negative = result('negative', 9);
  negative.energy.j_per_output_token = -0.5;
  bad('negative', json(negative), /invalid metrics: energy\.j_per_output_token is negative \(-0\.5\)/);
  const absurd = result('absurd', 10);
  absurd.throughput.output_tokens_per_s = 1e300;
  bad(
    'absurd',
    json(absurd),
    /invalid metrics: .*throughput\.output_tokens_per_s is 1e\+300, beyond any real measurement/,
  );
  // JSON has no Infinity, but a number past the float range parses as one.
  bad(
    'overflow',
    (p) =>
      writeFileSync(
        p,
        JSON.stringify(result('overflow', 11)).replace(/"j_per_output_token":[^,]+/, '"j_per_output_token":1e999'),
      ),
    /energy\.j_per_output_token: .*Infinity/,
  );
  return { root, secret, expectedSkipped, traversalId, linkedSamplesId };
}

function patchJson(path: string, patch: (doc: ResultDocument) => void): void {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as ResultDocument;
  patch(doc);
  writeFileSync(path, JSON.stringify(doc));
}

/** {"a":{"a":…{"a":1}}} `depth` levels deep, as JSON text. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr.toString()}`);
}
