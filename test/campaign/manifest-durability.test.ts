import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { pendingEntry, type Manifest } from '../../src/campaign/manifest.js';
import { JOURNAL_FILE, listCampaignIds, MANIFEST_FILE, ManifestStore } from '../../src/campaign/manifest-store.js';
import { savePlan } from '../../src/campaign/stored-plan.js';
import { StateWriteError } from '../../src/core/atomic-file.js';
import { canMount, mountSmallDisk } from '../support/small-disk.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'lem-durable-'));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function manifest(n: number, id = 'camp-1'): Manifest {
  const now = '2026-01-01T00:00:00.000Z';
  return {
    schema_version: 1,
    campaign_id: id,
    campaign_name: 'test',
    campaign_file: '/p/c.yaml',
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'planned',
    experiments: Array.from({ length: n }, (_, i) =>
      pendingEntry({ id: `e${i}`, index: i, cycle: 1, backend: 'synthetic', config_hash: 'h' }),
    ),
  };
}

/** A campaign folder as createCampaign makes it: plan.json, then the manifest. */
function campaign(n: number): { dir: string; store: ManifestStore } {
  const dir = join(tmp(), 'camp-1');
  const m = manifest(n);
  savePlan(dir, {
    campaign: { name: 'test', file: '/p/c.yaml' },
    experiments: m.experiments.map((e) => ({ ...e, config: {} })),
  });
  return { dir, store: ManifestStore.create(dir, m) };
}

function load(dir: string, warnings: string[] = []): ManifestStore {
  const r = ManifestStore.load(dir, { warn: (m) => warnings.push(m) });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const snapshotSeq = (dir: string) => (JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest).seq;

describe('manifest rebuilt from plan.json and the journal', () => {
  for (const [what, damage] of [
    ['missing', (f: string) => rmSync(f)],
    ['truncated', (f: string) => writeFileSync(f, readFileSync(f, 'utf8').slice(0, 40))],
    ['not a manifest', (f: string) => writeFileSync(f, '{"schema_version": 1}')],
  ] as const) {
    it(`when manifest.json is ${what}, with every journalled change, and says so`, () => {
      const { dir, store } = campaign(3);
      store.setStatus('running');
      store.update('e0', { status: 'completed', attempts: 1, result_path: 'r/e0.json' });
      store.update('e2', { status: 'failed', attempts: 1, error: 'boom' });
      const expected = structuredClone(store.current);
      damage(join(dir, MANIFEST_FILE));
      const warnings: string[] = [];
      const rebuilt = load(dir, warnings);
      expect(warnings.join('\n')).toMatch(/rebuilt from plan\.json and journal\.jsonl \(3 records\)/);
      expect({ ...rebuilt.current, created_at: expected.created_at }).toEqual(expected);
      // The first change after the rebuild writes a whole snapshot again.
      rebuilt.setStatus('interrupted');
      expect(snapshotSeq(dir)).toBe(4);
    });
  }

  it('adds experiments that journal records appended (later cycles) once, in journal order', () => {
    const { dir, store } = campaign(2);
    const added = [pendingEntry({ id: 'x0', index: 2, cycle: 2, backend: 'synthetic', config_hash: 'h' })];
    // The daemon writes the grown plan first, then journals the append.
    savePlan(dir, {
      campaign: { name: 'test' },
      experiments: [...store.current.experiments, ...added].map((e) => ({ ...e, config: {} })),
    });
    expect(store.appendExperiments(added).ok).toBe(true);
    rmSync(join(dir, MANIFEST_FILE));
    expect(load(dir).current.experiments.map((e) => e.id)).toEqual(['e0', 'e1', 'x0']);
  });

  it('without plan.json, reports the unreadable manifest rather than guessing', () => {
    const { dir } = campaign(1);
    rmSync(join(dir, 'plan.json'));
    writeFileSync(join(dir, MANIFEST_FILE), '{');
    const r = ManifestStore.load(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('LEM020');
  });
});

describe('journal and snapshot', () => {
  it('writes the snapshot every so many events, and on every campaign status change', () => {
    const { dir, store } = campaign(3);
    for (let i = 0; i < 199; i++) store.update('e1', { attempts: i });
    expect(snapshotSeq(dir)).toBe(0);
    store.update('e1', { attempts: 199 });
    expect(snapshotSeq(dir)).toBe(200);
    store.update('e1', { status: 'completed' });
    store.setStatus('completed');
    expect(snapshotSeq(dir)).toBe(202);
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(202);
  });

  it('loads exactly what was in memory, wherever the snapshot stopped (any sequence of changes)', () => {
    const statuses = ['pending', 'running', 'completed', 'failed', 'interrupted'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(4), fc.constantFrom(...statuses), fc.nat(3)), { maxLength: 60 }),
        fc.boolean(),
        (changes, flush) => {
          const { dir, store } = campaign(5);
          for (const [i, status, attempts] of changes) store.update(`e${i}`, { status, attempts });
          if (flush) expect(store.flush().ok).toBe(true);
          expect(load(dir).current).toEqual(store.current);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps an entry a caller holds unchanged by later updates', () => {
    const { store } = campaign(1);
    const before = store.entry('e0');
    store.update('e0', { status: 'running' });
    expect(before.status).toBe('pending');
    expect(store.entry('e0').status).toBe('running');
  });
});

describe('state that is not what lem wrote', () => {
  it('refuses a manifest whose campaign_id could name a folder outside the state folder', () => {
    const dir = join(tmp(), 'camp-1');
    mkdirSync(dir);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest(1, '../../../escaped')));
    const r = ManifestStore.load(dir);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        code: 'LEM020',
        message: expect.stringContaining('campaign_id "../../../escaped" is not a campaign id'),
      });
  });

  it('refuses campaign ids with path separators or ".." before touching the disk', () => {
    const state = tmp();
    for (const id of ['../../../x', 'a/b', '..', '.hidden', 'a\\b', 'x..y', '']) {
      const r = ManifestStore.open(state, id);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ code: 'LEM001', exitCode: 2 });
    }
  });

  it('refuses duplicate experiment ids in a manifest as corruption', () => {
    const dir = join(tmp(), 'camp-1');
    const m = manifest(2);
    m.experiments[1] = { ...m.experiments[1]!, id: 'e0' };
    mkdirSync(dir);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m));
    const r = ManifestStore.load(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('experiment e0 is listed twice');
  });

  it('refuses a journal record for an experiment the campaign does not have, naming its line', () => {
    const { dir } = campaign(1);
    writeFileSync(
      join(dir, JOURNAL_FILE),
      JSON.stringify({ seq: 1, ts: 't', id: 'ghost', patch: { status: 'completed' } }) + '\n',
    );
    const r = ManifestStore.load(dir);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.message).toMatch(
        /journal\.jsonl:1: record 1 changes experiment ghost, which is not in the campaign/,
      );
  });

  it('reports a journal.jsonl that is a folder as this campaign unreadable, and lists the others', () => {
    const state = tmp();
    for (const id of ['a-1', 'b-2']) ManifestStore.create(join(state, 'campaigns', id), manifest(1, id));
    mkdirSync(join(state, 'campaigns', 'a-1', JOURNAL_FILE));
    expect(listCampaignIds(state)).toEqual(['a-1', 'b-2']);
    const a = ManifestStore.open(state, 'a-1');
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error.message).toMatch(/journal\.jsonl cannot be read: EISDIR/);
    expect(ManifestStore.open(state, 'b-2').ok).toBe(true);
  });
});

describe.runIf(canMount)('a full disk', () => {
  it('refuses the change with "disk full", keeps the last good state on disk, and continues once there is room', () => {
    const disk = mountSmallDisk('256k');
    cleanups.push(disk.unmount);
    const dir = join(disk.dir, 'camp-1');
    const m = manifest(20);
    savePlan(dir, { campaign: { name: 'test' }, experiments: m.experiments.map((e) => ({ ...e, config: {} })) });
    const store = ManifestStore.create(dir, m);
    const big = 'x'.repeat(2000);
    let failure: unknown;
    let i = 0;
    for (; i < 1000 && failure === undefined; i++) {
      try {
        store.update(`e${i % 20}`, { error: `${i} ${big}` });
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(StateWriteError);
    expect((failure as StateWriteError).error.message).toMatch(/journal\.jsonl: disk full/);
    const kept = structuredClone(store.current);
    expect(kept.seq).toBe(i - 1);
    // On disk: a manifest that parses, and with the journal exactly the state in memory.
    JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    expect(load(dir).current).toEqual(kept);
    disk.resize('4m');
    const resumed = load(dir);
    resumed.update('e0', { status: 'completed' });
    resumed.setStatus('completed');
    expect(load(dir).current).toMatchObject({ seq: kept.seq + 2, status: 'completed' });
  });
});
