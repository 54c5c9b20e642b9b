import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressReporter } from '../../src/campaign/progress.js';
import { createCampaign, executeCampaign } from '../../src/campaign/session.js';
import { openProject } from '../../src/project/project.js';
import { StoredPlan } from '../../src/campaign/stored-plan.js';
import { planCampaign } from '../../src/campaign/planner.js';
import { loadCampaign } from '../../src/config/load.js';
import { TestProject } from '../support/lem-project.js';

// The runner in this process against a real Docker engine and the real harness (synthetic engine), so that a stop
// can be requested at an exact point of the dispatch loop.

const projects: TestProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

/** Reports nothing; calls `onNote` with each note (the runner's news, e.g. a failure with a retry ahead). */
function quietProgress(onNote: (text: string) => void): ProgressReporter {
  return { waiting() {}, begin() {}, phase() {}, done() {}, note: onNote, end() {} };
}

describe('CampaignRunner, stopped between a failure and its retry', { timeout: 120_000 }, () => {
  it('reports the campaign interrupted (resumable), not failed after its retries', async () => {
    const p = new TestProject('retrystop');
    projects.push(p);
    p.write(
      'bad.yaml',
      'backend: synthetic\nmodel: {name: m}\nmax_output_tokens: 4\nprompts: {count: 2}\nmeasurement: {idle_baseline_s: 0, warmup: {max_runs: 2, min_runs: 1, window: 2}}\nsynthetic: {fail_experiment: true}\n',
    );
    const loaded = loadCampaign(p.write('c.yaml', 'campaign_name: retrystop\nretries: 1\nconfigs: [bad.yaml]\n'));
    if (!loaded.ok) throw new Error(loaded.error.message);
    const plan = StoredPlan.parse(planCampaign(loaded.value));
    {
      const project = openProject(p.dir, { name: p.name, gpu: false, env: p.env }, undefined);
      if (!project.ok) throw new Error(project.error.message);
      const store = createCampaign(project.value, plan, loaded.value.path);
      const controller = new AbortController();
      const r = await executeCampaign(new Docker(), project.value, store, plan, {
        keepBackends: false,
        signal: controller.signal,
        // The first attempt has just failed, with a retry ahead: stop now, as a SIGINT at that moment would.
        progress: quietProgress((text) => {
          if (/will retry/.test(text)) controller.abort();
        }),
        healthTimeoutMs: 60_000,
      });
      if (!r.ok) throw new Error(r.error.message);
      expect(store.current.experiments[0]).toMatchObject({ status: 'failed', attempts: 1 });
      expect(r.value.interrupted).toBe(true);
      expect(store.current.status).toBe('interrupted');
    }
  });
});
