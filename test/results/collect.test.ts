import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { collectResults, latestAttempts, parseResultText, selectCampaigns } from '../../src/results/collect.js';
import { buildResult } from '../fixtures/result-builder.js';
import { addCampaign, HASH_A, mixedFolder } from './folder-fixture.js';

const folder = mixedFolder();
afterAll(() => rmSync(folder.root, { recursive: true, force: true }));

describe('collectResults on a folder with invalid, partial, missing and simulated results', () => {
  it('keeps every valid result, reports each bad one by path and reason, and never throws', async () => {
    const r = await collectResults([join(folder.root, 'camp-a')]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.value;
    // 4 cycles × 2 configs + 3 simulated + the retried experiment once.
    expect(c.results).toHaveLength(12);
    const skipped = c.skipped.map((s) => [relative(folder.root, s.path), s.reason] as const);
    for (const [path, reason] of folder.expectedSkipped) {
      const hit = skipped.find(([p]) => p === path);
      expect(hit, `expected ${path} to be reported`).toBeDefined();
      expect(hit![1]).toMatch(reason);
    }
    expect(skipped).toHaveLength(folder.expectedSkipped.length);
    expect(c.results.filter((x) => x.doc.simulated)).toHaveLength(3);
  });

  it('uses the latest valid attempt of a retried experiment and records the superseded one', async () => {
    const r = await collectResults([join(folder.root, 'camp-a')]);
    if (!r.ok) throw new Error(r.error.message);
    const retried = r.value.results.filter((x) => x.doc.experiment.experiment_id === 'c4-a');
    expect(retried).toHaveLength(1);
    expect(retried[0]!.doc.experiment.attempt).toBe(2);
    expect(r.value.superseded.map((x) => x.doc.experiment.attempt)).toEqual([1]);
  });

  it('prefers the higher attempt whatever the order, then the later finish', () => {
    const mk = (attempt: number, finished: string) => ({ path: `${attempt}-${finished}`, dir: '.', doc: buildResult({ attempt }, { timing: { finished_at: finished } }) });
    const a = mk(1, '2026-01-01T00:00:05Z');
    const b = mk(3, '2026-01-01T00:00:01Z');
    const c = mk(3, '2026-01-01T00:00:09Z');
    for (const order of [[a, b, c], [c, b, a], [b, a, c]]) {
      const { latest, superseded } = latestAttempts(order);
      expect(latest.map((x) => x.path)).toEqual([c.path]);
      expect(superseded).toHaveLength(2);
    }
  });

  it('fails with a usage error when the folder does not exist', async () => {
    const r = await collectResults([join(folder.root, 'nope')]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(ErrorCode.FILE_NOT_FOUND);
      expect(r.error.exitCode).toBe(2);
    }
  });
});

describe('selectCampaigns', () => {
  it('selects one campaign, all of them, or the most recently modified', async () => {
    addCampaign(folder.root, 'camp-b');
    const one = await selectCampaigns(folder.root, { kind: 'campaign', id: 'camp-a' });
    expect(one.ok && one.value.map((c) => c.id)).toEqual(['camp-a']);
    const all = await selectCampaigns(folder.root, { kind: 'all' });
    expect(all.ok && all.value.map((c) => c.id)).toEqual(['camp-a', 'camp-b']); // _aggregate is not a campaign
    const latest = await selectCampaigns(folder.root, { kind: 'latest' });
    expect(latest.ok && latest.value.map((c) => c.id)).toEqual(['camp-b']);
  });

  it('names the campaigns that exist when the one asked for does not', async () => {
    const r = await selectCampaigns(folder.root, { kind: 'campaign', id: 'camp-z' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(ErrorCode.CAMPAIGN_NOT_FOUND);
      expect(r.error.hint).toContain('camp-a');
    }
  });
});

describe('parseResultText', () => {
  it('accepts a builder document and says what is wrong with others', () => {
    expect(parseResultText(JSON.stringify(buildResult({ configHash: HASH_A }))).ok).toBe(true);
    const r = parseResultText(JSON.stringify({ ...buildResult(), extra_field: 1 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/Unrecognized key.*extra_field/);
    const arr = parseResultText('[1,2]');
    expect(!arr.ok && arr.error).toMatch(/does not match the result schema v6/);
  });

  it('calls a file cut off anywhere truncated, also right after a comma; an error mid-text is invalid JSON', () => {
    for (const cut of ['{"a": 1,', '{"a": 1,\n    ', '{\n  "a": {\n  ', '{"a": "x', '[1,']) {
      const r = parseResultText(cut);
      expect(!r.ok && r.error, cut).toMatch(/^truncated JSON/);
    }
    const bad = parseResultText('{"a": 1,, "b": 2}');
    expect(!bad.ok && bad.error).toMatch(/^invalid JSON/);
    const missing = JSON.parse(JSON.stringify(buildResult())) as Record<string, unknown>;
    delete missing['gpu_usage'];
    const r = parseResultText(JSON.stringify(missing));
    expect(!r.ok && r.error).toMatch(/schema v6: gpu_usage: /);
  });
});
