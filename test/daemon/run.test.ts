import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FILE, MANIFEST_FILE } from '../../src/campaign/manifest-store.js';
import { locateProject, type Project } from '../../src/project/project.js';
import { loadCampaign, type LoadedCampaign } from '../../src/config/load.js';
import { appendCycle, openOrCreate } from '../../src/daemon/cycles.js';
import { runDaemon } from '../../src/daemon/run.js';
import { scheduledCampaigns } from '../../src/daemon/schedule.js';
import { emptyState, saveState, scheduledRecord } from '../../src/daemon/state.js';

function setUp(names: string[]): { project: Project; campaigns: LoadedCampaign[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lem-daemon-run-'));
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  synthetic:\n    image: lem/synthetic:latest\n');
  const project = locateProject({ dir, cwd: dir, env: {} });
  if (!project.ok) throw new Error(project.error.message);
  const campaigns = names.map((name) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `campaign_name: ${name}\nschedule: {cron: "0 3 * * *", max_cycles: 1}\nbase_config:\n  backend: synthetic\n  model: {name: m}\nvary:\n  batching.batch_size: [1]\n`,
    );
    const loaded = loadCampaign(file);
    if (!loaded.ok) throw new Error(loaded.error.message);
    return loaded.value;
  });
  return { project: project.value, campaigns };
}

/** A campaign whose only cycle has run to completion, recorded in the daemon's state as its file's campaign. */
function finishedCampaign(project: Project, loaded: LoadedCampaign): string {
  const opened = openOrCreate(project, loaded, undefined);
  if (!opened.ok) throw new Error(opened.error.message);
  const { store, plan } = opened.value;
  const appended = appendCycle(store, plan, loaded);
  if (!appended.ok) throw new Error(appended.error.message);
  for (const e of store.current.experiments) {
    store.update(e.id, { status: 'running' });
    store.update(e.id, { status: 'completed' });
  }
  const state = emptyState();
  state.campaigns[loaded.path] = scheduledRecord(undefined, store, loaded.settings.schedule!, loaded.name);
  saveState(project.paths.hostState, state);
  return store.current.campaign_id;
}

const campaignFolders = (project: Project): string[] => readdirSync(join(project.paths.hostState, 'campaigns')).sort();

function run(project: Project, campaigns: LoadedCampaign[]) {
  const echo = new PassThrough();
  let said = '';
  echo.on('data', (b: Buffer) => (said += b.toString()));
  // The Docker client is never called here: no cycle is due.
  const r = runDaemon({
    docker: new Docker(),
    project,
    scheduled: scheduledCampaigns(campaigns),
    keepBackends: false,
    healthTimeoutMs: 1000,
    echo,
  });
  return r.then((result) => ({ result, said: () => said }));
}

describe('lem daemon start and end', () => {
  it('exits 0, saying so, when every campaign has reached max_cycles', async () => {
    const { project, campaigns } = setUp(['nightly']);
    finishedCampaign(project, campaigns[0]!);
    const { result, said } = await run(project, campaigns);
    expect(result).toEqual({ ok: true, value: 0 });
    expect(said()).toMatch(/every scheduled campaign has run its max_cycles cycles/);
    expect(said()).toMatch(/lock released/);
  });

  it('leaves no new empty campaign behind when it cannot start', async () => {
    const { project, campaigns } = setUp(['fresh', 'broken']);
    const brokenId = finishedCampaign(project, campaigns[1]!);
    // The recorded campaign of the second file cannot be read: a journal record in the middle is garbage.
    const dir = join(project.paths.hostState, 'campaigns', brokenId);
    const lines = readFileSync(join(dir, JOURNAL_FILE), 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(join(dir, JOURNAL_FILE), lines.join('\n'));
    writeFileSync(
      join(dir, MANIFEST_FILE),
      JSON.stringify({ ...JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')), seq: 0, experiments: [] }),
    );
    const { result } = await run(project, campaigns);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('LEM020');
    expect(campaignFolders(project)).toEqual([brokenId]);
  });
});
