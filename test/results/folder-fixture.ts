import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildResult, defaultConfig, writeResult } from '../fixtures/result-builder.js';

/**
 * A results folder with everything aggregation must survive: valid results over cycles, a simulated configuration,
 * a schema failure, a truncated file, an empty file, a folder without result.json, a leftover partial write, an old
 * schema version, a retried experiment, and lem's own _aggregate folder and a harness temp folder to ignore.
 */
export interface MixedFolder {
  root: string;
  /** Paths (relative to root) expected among the skipped files, with a pattern of their reason. */
  expectedSkipped: [string, RegExp][];
}

export const HASH_A = 'aaaaaaaaaaaa';
export const HASH_B = 'bbbbbbbbbbbb';
export const HASH_SIM = 'cccccccccccc';

export function mixedFolder(): MixedFolder {
  const root = mkdtempSync(join(tmpdir(), 'lem-results-'));
  const camp = 'camp-a';
  const cfgA = defaultConfig('vllm', 8, { vllm: { max_num_seqs: 8 } });
  const cfgB = defaultConfig('vllm', 64, { vllm: { max_num_seqs: 64 } });
  const cfgSim = defaultConfig('synthetic', 4);
  const tps = [1000, 1040, 980, 1010];
  tps.forEach((t, cycle) => {
    writeResult(root, buildResult({ campaignId: camp, experimentId: `c${cycle}-a`, configHash: HASH_A, cycle, index: 0, config: cfgA, outputTokensPerS: t, powerW: 480 + cycle * 5 }));
    writeResult(root, buildResult({ campaignId: camp, experimentId: `c${cycle}-b`, configHash: HASH_B, cycle, index: 1, config: cfgB, outputTokensPerS: t * 4, powerW: 540, throttled: cycle === 1 }));
  });
  for (let cycle = 0; cycle < 3; cycle++) {
    writeResult(root, buildResult({ campaignId: camp, experimentId: `c${cycle}-sim`, configHash: HASH_SIM, cycle, index: 2, backend: 'synthetic', config: cfgSim, simulated: true, outputTokensPerS: 500 + cycle * 10 }));
  }
  // A retried experiment: attempt 1 (superseded) and attempt 2 (kept), in separate folders.
  writeResult(root, buildResult({ campaignId: camp, experimentId: 'c4-a', configHash: HASH_A, cycle: 4, index: 0, attempt: 1, config: cfgA, outputTokensPerS: 1 }), { dir: join(camp, 'c4-a.attempt-1') });
  writeResult(root, buildResult({ campaignId: camp, experimentId: 'c4-a', configHash: HASH_A, cycle: 4, index: 0, attempt: 2, config: cfgA, outputTokensPerS: 1020, warmupConverged: false }), { dir: join(camp, 'c4-a') });

  const bad = (name: string, content: string): void => {
    mkdirSync(join(root, camp, name), { recursive: true });
    writeFileSync(join(root, camp, name, 'result.json'), content);
  };
  const valid = JSON.stringify(buildResult({ campaignId: camp, experimentId: 'x', configHash: HASH_A }), null, 2);
  bad('truncated', valid.slice(0, Math.floor(valid.length / 2)));
  bad('empty', '');
  bad('not-json', 'Traceback (most recent call last):\n');
  const noThroughput: Record<string, unknown> = JSON.parse(valid);
  delete noThroughput['throughput'];
  bad('schema-fail', JSON.stringify(noThroughput));
  bad('old-schema', JSON.stringify({ ...JSON.parse(valid), schema_version: 2 }));
  mkdirSync(join(root, camp, 'no-result'), { recursive: true });
  writeFileSync(join(root, camp, 'no-result', 'samples.csv'), 't_s,power_w\n');
  mkdirSync(join(root, camp, 'partial'), { recursive: true });
  writeFileSync(join(root, camp, 'partial', 'result.json.tmp-123'), '{');
  // Never results: the harness's hidden temp folder and lem's own output folder.
  mkdirSync(join(root, camp, '.c9-a.tmp-xyz'), { recursive: true });
  mkdirSync(join(root, '_aggregate', camp), { recursive: true });
  return {
    root,
    expectedSkipped: [
      [join(camp, 'truncated', 'result.json'), /truncated JSON/],
      [join(camp, 'empty', 'result.json'), /empty file/],
      [join(camp, 'not-json', 'result.json'), /invalid JSON/],
      [join(camp, 'schema-fail', 'result.json'), /schema v6: throughput: /],
      [join(camp, 'old-schema', 'result.json'), /schema_version 2 is not supported/],
      [join(camp, 'no-result', 'result.json'), /missing: the experiment folder has no result.json/],
      [join(camp, 'partial', 'result.json'), /missing: only a partial write was left \(result.json.tmp-123\)/],
    ],
  };
}

/** A second campaign, for --campaign / --all / compare. */
export function addCampaign(root: string, campaign: string, opts: { energyScale?: number; cycles?: number } = {}): void {
  const cfgA = defaultConfig('vllm', 8, { vllm: { max_num_seqs: 8 } });
  for (let cycle = 0; cycle < (opts.cycles ?? 4); cycle++) {
    writeResult(
      root,
      buildResult({ campaignId: campaign, experimentId: `c${cycle}-a`, configHash: HASH_A, cycle, config: cfgA, outputTokensPerS: 1000 + cycle * 7, powerW: (482 + cycle * 3) * (opts.energyScale ?? 1) }),
    );
  }
}
