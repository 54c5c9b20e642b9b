import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/campaign/manifest.js';
import { ResultDocument } from '../../src/contract/result.js';
import { manifestOf as readManifest } from '../support/manifest-of.js';
import {
  campaignIdFrom,
  collect,
  REPO,
  syntheticCampaign,
  TestProject,
  useTestProjects,
  waitForOutput,
} from '../support/lem-project.js';

// Faults in the run path, against a real Docker engine, the real harness (synthetic engine) and the built CLI as a
// real process: an orchestrator killed mid-batch, a second campaign on a busy backend, a backend container removed
// mid-run, a reader that closes lem's output, and images that are not there.

const project = useTestProjects();

const manifestOf = (p: TestProject, id: string): Manifest => readManifest(p.dir, id);

const resultFile = (p: TestProject, id: string, exp: string) => join(p.dir, 'results', id, exp, 'result.json');
const resultOf = (p: TestProject, id: string, exp: string) =>
  ResultDocument.parse(JSON.parse(readFileSync(resultFile(p, id, exp), 'utf8')));

/** `lem_harness run` processes in the project's synthetic container now (0 once it is gone). */
async function harnesses(p: TestProject): Promise<number> {
  try {
    const top = (await new Docker().getContainer(`lem-${p.name}-synthetic`).top()) as { Processes?: string[][] };
    return (top.Processes ?? []).filter((row) => row.join(' ').includes('lem_harness run')).length;
  } catch {
    return 0;
  }
}

/** Polls `harnesses` until `done` settles; resolves the most seen at once. */
async function mostHarnesses(p: TestProject, done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true));
  let most = 0;
  while (!finished) {
    most = Math.max(most, await harnesses(p));
    await new Promise((r) => setTimeout(r, 100));
  }
  return most;
}

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a campaign and kills the orchestrator with SIGKILL once `completions` experiments completed. */
async function runAndKill(p: TestProject, file: string, completions: number): Promise<string> {
  const child = p.spawn(['campaign', 'run', file]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForOutput(child, (t) => (t.match(/ completed in /g) ?? []).length >= completions, 90_000);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  return campaignIdFrom(out);
}

describe('faults in the run path', { timeout: 180_000 }, () => {
  it('kill -9 mid-batch, then resume: every result the orphaned harness finished is collected, none re-run', async () => {
    const p = project('collect');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4, 8, 16], seconds: 1.5 }));
    const id = await runAndKill(p, 'c.yaml', 1);
    const plannedIds = manifestOf(p, id).experiments.map((e) => e.id);
    // The orphan goes on through its batch: wait until it has written a result the dead orchestrator never saw.
    const written = () => plannedIds.filter((e) => existsSync(resultFile(p, id, e)));
    await until(() => written().length >= 2, 60_000);
    const before = manifestOf(p, id);
    const orphaned = written().filter((e) => before.experiments.find((x) => x.id === e)!.status !== 'completed');
    expect(orphaned.length).toBeGreaterThanOrEqual(1);
    const mtimes = new Map(written().map((e) => [e, statSync(resultFile(p, id, e)).mtimeMs]));

    const resumed = p.lem(['campaign', 'resume', id]);
    const most = await mostHarnesses(p, resumed);
    const r = await resumed;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(most).toBe(1);
    expect(r.stderr).toMatch(/completed \(collected after restart\)/);
    const after = manifestOf(p, id);
    expect(after.status).toBe('completed');
    for (const e of after.experiments) {
      expect(e).toMatchObject({ status: 'completed', attempts: 1 });
      expect(resultOf(p, id, e.id).experiment.attempt).toBe(1);
    }
    // Results written before the resume (by the first run or by its orphan) are the ones kept: not measured again.
    for (const [e, t] of mtimes) expect(statSync(resultFile(p, id, e)).mtimeMs).toBe(t);
    expect(await p.containers()).toEqual([]);
  });

  it('kill -9, then a different campaign on the same backend: refused naming the campaign, never two harnesses', async () => {
    const p = project('busy');
    p.write('a.yaml', syntheticCampaign({ name: 'first', sizes: [1, 2, 4, 8, 16, 32], seconds: 5 }));
    p.write('b.yaml', syntheticCampaign({ name: 'second', sizes: [1] }));
    const first = await runAndKill(p, 'a.yaml', 1);
    expect(await harnesses(p)).toBe(1);
    const second = p.lem(['campaign', 'run', 'b.yaml']);
    const most = await mostHarnesses(p, second);
    const r = await second;
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(most).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`LEM021: backend container lem-${p.name}-synthetic is measuring for campaign ${first}`),
    );
    // Refused before anything ran: the second campaign is not marked failed, and the first one's results stand.
    const secondId = campaignIdFrom(r.stdout);
    expect(manifestOf(p, secondId).status).toBe('planned');
    expect(existsSync(join(p.dir, 'results', secondId))).toBe(false);
  });

  it('docker rm -f of the backend mid-run: the container is created anew and the campaign goes on', async () => {
    const p = project('rmf');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2], seconds: 3, retries: 1 }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    const done = collect(child, 150_000);
    await waitForOutput(child, (t) => / started/.test(t), 60_000);
    await new Promise((r) => setTimeout(r, 700));
    await new Docker().getContainer(`lem-${p.name}-synthetic`).remove({ force: true });
    const r = await done;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).not.toMatch(/LEM013/);
    expect(r.stderr).toMatch(/died during the experiment/);
    const id = campaignIdFrom(r.stdout);
    const m = manifestOf(p, id);
    expect(m.status).toBe('completed');
    expect(m.experiments.every((e) => e.status === 'completed')).toBe(true);
    expect(m.experiments[0]!.attempts).toBe(2);
    expect(r.stdout).toContain(`next: lem results aggregate --campaign ${id}\n`);
    expect(await p.containers()).toEqual([]);
  });

  it('a reader that closes stdout and stderr mid-run: lem runs to the end, state final, lock released, torn down', async () => {
    const p = project('epipe');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4], seconds: 1 }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    const first = await new Promise<string>((r) => child.stdout!.once('data', (d: Buffer) => r(d.toString())));
    const id = campaignIdFrom(first);
    // As `lem campaign run … | head -1` does: the reading end goes away while lem still writes.
    child.stdout!.destroy();
    child.stderr!.destroy();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    const m = manifestOf(p, id);
    expect(m.status).toBe('completed');
    expect(m.experiments.every((e) => e.status === 'completed')).toBe(true);
    expect(existsSync(join(p.dir, '.state', 'campaigns', id, 'lock'))).toBe(false);
    expect(await p.containers()).toEqual([]);
  });

  it('missing images: the run names every one and creates no campaign; --dry-run warns', async () => {
    const p = project('noimages', {
      editCompose: (t) => t.replace('image: lem/synthetic:latest', 'image: lem/not-built:latest'),
    });
    const campaign = join(REPO, 'campaigns', 'cross-backend.yaml');
    const r = await p.lem(['campaign', 'run', campaign]);
    expect(r.code).toBe(1);
    for (const [image, backend] of [
      ['lem/transformers:latest', 'transformers'],
      ['lem/vllm:latest', 'vllm'],
      ['lem/tensorrt:latest', 'tensorrt'],
    ]) {
      expect(r.stderr).toContain(`image ${image} for backend "${backend}" is not present`);
    }
    expect(existsSync(join(p.dir, '.state', 'campaigns'))).toBe(false);

    p.write('c.yaml', syntheticCampaign());
    const dry = await p.lem(['campaign', 'run', 'c.yaml', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/warning: image lem\/not-built:latest for backend "synthetic" is not present.*refused/);
    expect(readdirSync(p.dir).sort()).toEqual(['c.yaml', 'compose.yaml']);
  });
});
