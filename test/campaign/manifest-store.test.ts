import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countStatuses, pendingEntry, remainingWork, type Manifest } from '../../src/campaign/manifest.js';
import { JOURNAL_FILE, MANIFEST_FILE, ManifestStore } from '../../src/campaign/manifest-store.js';

function manifest(n: number): Manifest {
  const now = new Date().toISOString();
  return {
    schema_version: 1,
    campaign_id: 'c1',
    campaign_name: 'test',
    campaign_file: 'x.yaml',
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'planned',
    experiments: Array.from({ length: n }, (_, i) =>
      pendingEntry({ id: `e${i}`, index: i, cycle: 0, backend: 'synthetic', config_hash: 'h' }),
    ),
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'lem-manifest-'));

describe('ManifestStore', () => {
  it('makes each change durable in the journal at once, and in the snapshot when flushed', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(3));
    s.update('e1', { status: 'running', attempts: 1 });
    s.update('e1', { status: 'completed', result_path: 'results/c1/e1/result.json' });
    const journal = readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n');
    expect(journal).toHaveLength(2);
    // The snapshot lags (it is rewritten every so many events), but loading folds the journal in.
    expect((JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest).seq).toBe(0);
    const loaded = ManifestStore.load(dir);
    expect(loaded.ok && loaded.value.current.experiments[1]).toMatchObject({ status: 'completed', attempts: 1 });
    expect(s.flush()).toEqual({ ok: true, value: undefined });
    const snap = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    expect(snap.seq).toBe(2);
    expect(snap.experiments[1]).toMatchObject({
      status: 'completed',
      attempts: 1,
      result_path: 'results/c1/e1/result.json',
    });
  });

  it('replays journal records newer than a stale snapshot (crash between journal append and snapshot rename)', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(2));
    const staleSnapshot = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
    s.update('e0', { status: 'completed' });
    s.update('e1', { status: 'failed', error: 'boom', attempts: 1 });
    writeFileSync(join(dir, MANIFEST_FILE), staleSnapshot);
    const loaded = ManifestStore.load(dir);
    if (!loaded.ok) throw new Error(loaded.error.message);
    expect(loaded.value.current.experiments.map((e) => e.status)).toEqual(['completed', 'failed']);
    expect(loaded.value.current.seq).toBe(2);
  });

  it('ignores a torn last journal line, whose change never completed', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(2));
    s.update('e0', { status: 'completed' });
    appendFileSync(join(dir, JOURNAL_FILE), '{"seq":2,"ts":"2026-01-01T00:00:00Z","id":"e1","pa');
    const loaded = ManifestStore.load(dir);
    expect(loaded.ok && loaded.value.current.experiments.map((e) => e.status)).toEqual(['completed', 'pending']);
  });

  it('keeps working after a torn last line: later changes are not glued onto it, and the campaign loads again', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(2));
    s.update('e0', { status: 'completed' });
    appendFileSync(join(dir, JOURNAL_FILE), '{"seq":2,"ts":"2026-01-01T00:00:00Z","id":"e1","pa');
    const resumed = ManifestStore.load(dir);
    if (!resumed.ok) throw new Error(resumed.error.message);
    resumed.value.update('e1', { status: 'running', attempts: 1 });
    resumed.value.update('e1', { status: 'completed' });
    const again = ManifestStore.load(dir);
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.current.experiments.map((e) => e.status)).toEqual(['completed', 'completed']);
    // Replayed from the journal alone (a stale snapshot), the two later changes are there too.
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest(2)));
    const replayed = ManifestStore.load(dir);
    if (!replayed.ok) throw new Error(replayed.error.message);
    expect(replayed.value.current.experiments.map((e) => [e.status, e.attempts])).toEqual([
      ['completed', 0],
      ['completed', 1],
    ]);
  });

  it('a complete (newline-terminated) last record that does not parse is corruption, not a torn write', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(2));
    s.update('e0', { status: 'completed' });
    appendFileSync(join(dir, JOURNAL_FILE), '{"seq":2,"oops":true}\n');
    const loaded = ManifestStore.load(dir);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error.message).toMatch(/journal\.jsonl:2: unreadable journal record/);
  });

  it('reports a corrupt record in the middle of the journal with its line number', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, manifest(2));
    s.update('e0', { status: 'running' });
    appendFileSync(join(dir, JOURNAL_FILE), 'garbage\n');
    s.update('e1', { status: 'running' });
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest(2)));
    const loaded = ManifestStore.load(dir);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error.message).toMatch(/journal\.jsonl:2: unreadable journal record/);
  });

  it('says when there is no manifest', () => {
    const r = ManifestStore.load(join(tmp(), 'nope'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('LEM005');
  });
});

describe('remainingWork', () => {
  it('runs pending, interrupted and stale running experiments, and failed ones with retries left, in plan order', () => {
    const m = manifest(6);
    const set = (i: number, patch: Partial<Manifest['experiments'][number]>) =>
      (m.experiments[i] = { ...m.experiments[i]!, ...patch });
    set(0, { status: 'completed', attempts: 1 });
    set(1, { status: 'failed', attempts: 1 });
    set(2, { status: 'failed', attempts: 2 });
    set(3, { status: 'running', attempts: 1 });
    set(4, { status: 'interrupted', attempts: 0 });
    expect(remainingWork(m, 1).map((e) => e.id)).toEqual(['e1', 'e3', 'e4', 'e5']);
    expect(remainingWork(m, 0).map((e) => e.id)).toEqual(['e3', 'e4', 'e5']);
    expect(countStatuses(m)).toMatchObject({
      completed: 1,
      failed: 2,
      running: 1,
      interrupted: 1,
      pending: 1,
      total: 6,
    });
  });
});
