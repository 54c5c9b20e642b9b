import { describe, expect, it } from 'vitest';
import { pendingEntry, type ManifestEntry } from '../../../src/campaign/manifest.js';
import { finishesEntry, foreignHarnesses, recoveryPatch } from '../../../src/campaign/run/recovery.js';

const entry = (status: ManifestEntry['status'], attempts: number): ManifestEntry => ({
  ...pendingEntry({ id: 'e1', index: 0, cycle: 1, backend: 'synthetic', config_hash: 'h' }),
  status,
  attempts,
});
const found = (attempt: number) => ({ attempt, resultPath: 'results/c/e1/result.json' });
const AT = '2026-12-01T00:00:00.000Z';

describe('recovery after a killed orchestrator', () => {
  it('a result the orphaned harness finished is collected, for running, pending and interrupted entries', () => {
    expect(recoveryPatch(entry('running', 2), found(2), AT)).toEqual({
      status: 'completed',
      attempts: 2,
      finished_at: AT,
      result_path: 'results/c/e1/result.json',
      error: null,
    });
    expect(recoveryPatch(entry('pending', 0), found(1), AT)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(recoveryPatch(entry('interrupted', 1), found(2), AT)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(recoveryPatch(entry('failed', 1), found(2), AT)).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('a result of an attempt already counted is not a new success (a failed attempt keeps its failure)', () => {
    expect(finishesEntry(entry('failed', 1), 1)).toBe(false);
    expect(finishesEntry(entry('interrupted', 1), 1)).toBe(false);
    expect(finishesEntry(entry('running', 2), 1)).toBe(false);
    expect(finishesEntry(entry('running', 2), 3)).toBe(false);
    expect(recoveryPatch(entry('failed', 1), found(1), AT)).toBeUndefined();
  });

  it('a `running` entry without its result is interrupted, its attempt not counted; others stay as they are', () => {
    expect(recoveryPatch(entry('running', 2), undefined, AT)).toEqual({
      status: 'interrupted',
      error: 'the orchestrator stopped while this experiment ran',
      attempts: 1,
    });
    expect(recoveryPatch(entry('running', 0), undefined, AT)).toMatchObject({ attempts: 0 });
    expect(recoveryPatch(entry('pending', 0), undefined, AT)).toBeUndefined();
  });

  it("another campaign's harness, or one lem cannot place, is foreign; this campaign's own is not", () => {
    const list = [
      { pid: 10, campaign_id: 'mine', batch_id: 'b1' },
      { pid: 11, campaign_id: 'other', batch_id: 'b2' },
      { pid: 12, campaign_id: null, batch_id: null },
    ];
    expect(foreignHarnesses(list, 'mine').map((h) => h.pid)).toEqual([11, 12]);
    expect(foreignHarnesses(list.slice(0, 1), 'mine')).toEqual([]);
  });
});
