import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestEntry } from '../../src/campaign/manifest.js';
import { JOURNAL_FILE, MANIFEST_FILE, ManifestStore } from '../../src/campaign/manifest-store.js';
import { planCampaign } from '../../src/campaign/planner.js';
import { loadPlan, savePlan, StoredPlan } from '../../src/campaign/stored-plan.js';
import { loadCampaign, type LoadedCampaign } from '../../src/config/load.js';
import { appendCycle, cycleExperiments, cyclesIn, openOrCreate } from '../../src/daemon/cycles.js';
import { locateProject } from '../../src/project/project.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'lem-cycles-'));

function entry(id: string, index: number, cycle: number): ManifestEntry {
  return {
    id,
    index,
    cycle,
    backend: 'synthetic',
    config_hash: 'h',
    config_source: null,
    container: null,
    status: 'pending',
    attempts: 0,
    started_at: null,
    finished_at: null,
    result_path: null,
    log_path: null,
    error: null,
  };
}

function emptyManifest(): Manifest {
  const now = new Date().toISOString();
  return {
    schema_version: 1,
    campaign_id: 'c1',
    campaign_name: 't',
    campaign_file: 'x.yaml',
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'planned',
    experiments: [],
  };
}

function load(dir: string): ManifestStore {
  const r = ManifestStore.load(dir);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('ManifestStore.appendExperiments', () => {
  it('journals the new experiments in one record and keeps them across a reload', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, emptyManifest());
    expect(s.appendExperiments([entry('a', 0, 1), entry('b', 1, 1)]).ok).toBe(true);
    s.update('a', { status: 'completed' });
    expect(readFileSync(join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(load(dir).current.experiments.map((e) => [e.id, e.status])).toEqual([
      ['a', 'completed'],
      ['b', 'pending'],
    ]);
  });

  it('replays an append the snapshot missed (crash between journal and snapshot)', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, emptyManifest());
    s.appendExperiments([entry('a', 0, 1)]);
    const stale = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
    s.appendExperiments([entry('b', 1, 2), entry('c', 2, 2)]);
    s.update('b', { status: 'running' });
    writeFileSync(join(dir, MANIFEST_FILE), stale);
    const m = load(dir).current;
    expect(m.experiments.map((e) => `${e.id}:${e.status}`)).toEqual(['a:pending', 'b:running', 'c:pending']);
    expect(m.seq).toBe(3);
  });

  it('drops a torn append (all of the cycle or none of it) and refuses an id twice', () => {
    const dir = tmp();
    const s = ManifestStore.create(dir, emptyManifest());
    s.appendExperiments([entry('a', 0, 1)]);
    appendFileSync(
      join(dir, JOURNAL_FILE),
      JSON.stringify({ seq: 2, ts: 't', append: [entry('b', 1, 2)] }).slice(0, 40),
    );
    const reloaded = load(dir);
    expect(reloaded.current.experiments.map((e) => e.id)).toEqual(['a']);
    const again = reloaded.appendExperiments([entry('a', 5, 2)]);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.message).toMatch(/experiment a is already in campaign c1/);
  });
});

function campaignFile(structure: string): LoadedCampaign {
  const dir = tmp();
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `campaign_name: sched
structure: ${structure}
seed: 3
schedule: {cron: "*/3 * * * * *", max_cycles: 3}
base_config:
  backend: synthetic
  model: {name: synthetic-model}
vary:
  batching.batch_size: [1, 2, 4, 8]
`,
  );
  const r = loadCampaign(file);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('appendCycle', () => {
  it('appends cycle k with ids that continue after the existing ones, to plan.json and the manifest', () => {
    const loaded = campaignFile('interleaved');
    const dir = tmp();
    const base = planCampaign({ ...loaded, settings: { ...loaded.settings, cycles: 1 } });
    savePlan(dir, { campaign: base.campaign, experiments: [] });
    const store = ManifestStore.create(dir, emptyManifest());
    let plan = StoredPlan.parse({ campaign: base.campaign, experiments: [] });
    for (let k = 1; k <= 2; k++) {
      const r = appendCycle(store, plan, loaded);
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value).toMatchObject({ cycle: k, added: 4 });
      plan = r.value.plan;
    }
    expect(cyclesIn(store)).toBe(2);
    const ids = store.current.experiments.map((e) => e.id);
    expect(ids.map((id) => id.slice(0, 7))).toEqual([
      '0000-c1',
      '0001-c1',
      '0002-c1',
      '0003-c1',
      '0004-c2',
      '0005-c2',
      '0006-c2',
      '0007-c2',
    ]);
    const saved = loadPlan(dir);
    expect(saved.ok && saved.value.experiments.map((e) => e.id)).toEqual(ids);
    expect(saved.ok && saved.value.campaign).toMatchObject({ cycles: 2, run_count: 8 });
    // After a reload the manifest says the same: every cycle is durable.
    expect(load(dir).current.experiments.map((e) => e.id)).toEqual(ids);
  });

  it('drops plan entries no manifest knows (a crash between the plan and the manifest write)', () => {
    const loaded = campaignFile('interleaved');
    const dir = tmp();
    const store = ManifestStore.create(dir, emptyManifest());
    const orphan = cycleExperiments(loaded, 1, 0);
    const plan = StoredPlan.parse({ campaign: planCampaign(loaded).campaign, experiments: orphan });
    const r = appendCycle(store, plan, loaded);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.plan.experiments.map((e) => e.id)).toEqual(orphan.map((e) => e.id));
    expect(store.current.experiments.map((e) => e.id)).toEqual(orphan.map((e) => e.id));
  });

  it('gives a shuffled campaign the order of each cycle, as a full plan would', () => {
    const loaded = campaignFile('shuffled');
    const full = planCampaign({ ...loaded, settings: { ...loaded.settings, cycles: 3 } });
    for (let k = 1; k <= 3; k++) {
      expect(cycleExperiments(loaded, k, 100).map((e) => e.config_index)).toEqual(
        full.experiments.filter((e) => e.cycle === k).map((e) => e.config_index),
      );
    }
  });
});

describe('openOrCreate', () => {
  it('reports a recorded campaign whose state is corrupt, instead of replacing it with a new campaign', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  synthetic:\n    image: lem/synthetic:latest\n');
    const project = locateProject({ dir, cwd: dir, env: {} });
    if (!project.ok) throw new Error(project.error.message);
    const loaded = campaignFile('interleaved');
    const first = openOrCreate(project.value, loaded, undefined);
    if (!first.ok) throw new Error(first.error.message);
    const id = first.value.store.current.campaign_id;
    first.value.store.appendExperiments([entry('a', 0, 1)]);
    first.value.store.update('a', { status: 'running' });
    first.value.store.update('a', { status: 'completed' });
    // A journal record in the middle that cannot be read, and a snapshot older than it.
    const journal = join(first.value.store.dir, JOURNAL_FILE);
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(journal, lines.join('\n'));
    writeFileSync(
      join(first.value.store.dir, MANIFEST_FILE),
      JSON.stringify({ ...first.value.store.current, seq: 0, experiments: [] }),
    );

    const again = openOrCreate(project.value, loaded, id);
    expect(again.ok && again.value.store.current.campaign_id).toBe(false);
    if (again.ok) return;
    expect(again.error.code).toBe('LEM020');
    expect(again.error.message).toMatch(/journal\.jsonl:2: unreadable journal record/);
  });
});
