import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestEntry } from '../../src/campaign/manifest.js';
import { ResultDocument } from '../../src/contract/result.js';
import { campaignIdFrom, collect, syntheticCampaign, useTestProjects, waitForOutput } from '../support/lem-project.js';
import { manifestOf } from '../support/manifest-of.js';
import { startServer, streamTokens } from '../support/stream-server.js';

// `placement: pack` for real: the built CLI as a process, the real Docker engine, the real harness (synthetic
// engine), and 4 pretend GPUs declared with the test aid LEM_GPUS (this machine has no GPU). The proof of
// parallel, disjoint execution is read from the manifest: each experiment's start and finish time and GPU set.

const project = useTestProjects();

const PACK = { LEM_GPUS: '4' };

/** A synthetic pack campaign: every batch size once per GPU need, each experiment taking about `seconds`. */
const packCampaign = (sizes: number[], gpus: number[], seconds: number, retries = 1) =>
  syntheticCampaign({ sizes, seconds, retries, extra: `  gpus: [${gpus.join(', ')}]\nplacement: pack\n` });

const ms = (iso: string | null) => Date.parse(iso!);
const overlaps = (a: ManifestEntry, b: ManifestEntry) =>
  ms(a.started_at) < ms(b.finished_at) && ms(b.started_at) < ms(a.finished_at);

/** Every pair of experiments that ran at the same time held disjoint GPUs; returns the overlapping pairs. */
function checkDisjoint(m: Manifest): [ManifestEntry, ManifestEntry][] {
  const ran = m.experiments.filter((e) => e.started_at && e.finished_at);
  const pairs: [ManifestEntry, ManifestEntry][] = [];
  for (const [i, a] of ran.entries()) {
    for (const b of ran.slice(i + 1)) {
      if (!overlaps(a, b)) continue;
      pairs.push([a, b]);
      expect(
        a.gpus!.filter((g) => b.gpus!.includes(g)),
        `${a.id} and ${b.id} overlapped in time`,
      ).toEqual([]);
    }
  }
  return pairs;
}

describe('placement: pack with 4 pretend GPUs (LEM_GPUS)', () => {
  it('runs batches needing 1 and 2 GPUs at once, in separate containers, on disjoint GPU sets', async () => {
    const p = project('pack');
    p.write('c.yaml', packCampaign([1, 2], [1, 2], 4));
    const r = await p.lem(['campaign', 'run', 'c.yaml'], { env: PACK, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(p.dir, campaignIdFrom(r.stdout));
    expect(m.experiments.map((e) => e.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    const docs = new Map<string, ResultDocument>();
    for (const e of m.experiments) {
      expect(e.gpus!.length).toBeGreaterThan(0);
      expect(e.container).toBe(`lem-${p.name}-synthetic-gpu${e.gpus!.join('-')}`);
      expect(existsSync(join(p.dir, e.result_path!))).toBe(true);
      // The result says where it ran, as the manifest does.
      const doc = ResultDocument.parse(JSON.parse(readFileSync(join(p.dir, e.result_path!), 'utf8')));
      expect(doc.placement).toMatchObject({ target: e.container, gpus: e.gpus });
      docs.set(e.id, doc);
    }
    // What ran beside each one: neighbours on disjoint GPUs, named both ways; simulated power is unknown (null).
    const packed = [...docs.values()].filter((d) => d.placement!.ran === 'packed');
    expect(packed.length).toBeGreaterThanOrEqual(2);
    for (const d of packed) {
      expect(d.placement!.neighbours_mean_power_w).toBeNull();
      for (const n of d.placement!.neighbours!) {
        expect(n.gpus.some((g) => d.placement!.gpus.includes(g))).toBe(false);
        const back = docs.get(n.experiment_id)!.placement!.neighbours!;
        expect(back.map((x) => x.experiment_id)).toContain(d.experiment.experiment_id);
      }
    }
    const pairs = checkDisjoint(m);
    // Concurrency, not merely permission: a 1-GPU and a 2-GPU experiment were measured at the same time.
    expect(pairs.some(([a, b]) => a.gpus!.length !== b.gpus!.length)).toBe(true);
    expect(new Set(m.experiments.map((e) => e.container)).size).toBeGreaterThanOrEqual(2);
    expect(await p.containers()).toEqual([]);
  }, 300_000);

  it('resumes after SIGKILL mid-campaign: finished experiments stay, the interrupted ones run again', async () => {
    const p = project('packkill');
    p.write('c.yaml', packCampaign([1, 2, 4], [1, 2], 3, 0));
    const child = p.spawn(['campaign', 'run', 'c.yaml'], PACK);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(child, (t) => / completed in /.test(t), 180_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const id = campaignIdFrom(out);
    const before = manifestOf(p.dir, id);
    const done = before.experiments.filter((e) => e.status === 'completed');
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(before.experiments.length);
    const stamps = new Map(done.map((e) => [e.id, statSync(join(p.dir, e.result_path!)).mtimeMs]));

    const r = await p.lem(['campaign', 'resume', id], { env: PACK, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    // What the killed run left measuring in its GPU-set containers was stopped there, or collected once it finished.
    expect(r.stderr).toMatch(new RegExp(`left running in lem-${p.name}-synthetic-gpu|collected after restart`));
    const after = manifestOf(p.dir, id);
    expect(after.experiments.every((e) => e.status === 'completed')).toBe(true);
    for (const e of done) {
      // Not run again: same attempt, same finish, the result file untouched.
      const now = after.experiments.find((x) => x.id === e.id)!;
      expect(now.finished_at).toBe(e.finished_at);
      expect(statSync(join(p.dir, now.result_path!)).mtimeMs).toBe(stamps.get(e.id));
    }
    // retries: 0, so an experiment that ran twice would have failed: each has exactly one counted attempt.
    expect(after.experiments.map((e) => e.attempts)).toEqual(after.experiments.map(() => 1));
    checkDisjoint(after);
    // The killed run's GPU-set containers were recorded, found again, and removed at the end.
    expect(await p.containers()).toEqual([]);
  }, 480_000);

  it('a container dying on one GPU set retries only the batch it held; the other sets carry on', async () => {
    const p = project('packdie');
    p.write('c.yaml', packCampaign([1, 2], [1, 2], 8, 1));
    const child = p.spawn(['campaign', 'run', 'c.yaml'], PACK);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const run = collect(child, 300_000);
    await waitForOutput(child, (t) => / started/.test(t), 180_000);
    const id = campaignIdFrom(out);
    // The 2-GPU experiment may start after the 1-GPU ones (each set's container comes up on its own).
    let victim: ManifestEntry | undefined;
    for (let i = 0; i < 600 && !victim; i++) {
      victim = manifestOf(p.dir, id).experiments.find((e) => e.status === 'running' && e.gpus?.length === 2);
      if (!victim) await new Promise((r) => setTimeout(r, 100));
    }
    expect(victim, 'a 2-GPU experiment in flight').toBeDefined();
    await new Docker().getContainer(victim!.container!).kill();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(p.dir, id);
    expect(m.experiments.every((e) => e.status === 'completed')).toBe(true);
    for (const e of m.experiments) expect(e.attempts, e.id).toBe(e.id === victim!.id ? 2 : 1);
    checkDisjoint(m);
    expect(await p.containers()).toEqual([]);
  }, 360_000);

  it('Ctrl-C stops every batch in flight: exit 130, no partial result, resume named', async () => {
    const p = project('packint');
    p.write('c.yaml', packCampaign([1, 2], [1, 2], 20));
    const child = p.spawn(['campaign', 'run', 'c.yaml'], PACK);
    const started = (t: string) => (t.match(/ started/g) ?? []).length >= 2;
    const run = collect(child, 180_000);
    await waitForOutput(child, started, 180_000);
    child.kill('SIGINT');
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    const id = campaignIdFrom(r.stdout);
    expect(r.stdout).toContain(`lem campaign resume ${id}`);
    const m = manifestOf(p.dir, id);
    expect(m.status).toBe('interrupted');
    expect(m.experiments.some((e) => e.status === 'completed')).toBe(false);
    for (const e of m.experiments) expect(existsSync(join(p.dir, 'results', id, e.id, 'result.json'))).toBe(false);
    expect(await p.containers()).toEqual([]);
  }, 300_000);

  it('--keep-backends leaves the GPU-set containers up, reused by the next run; backends down removes them', async () => {
    const p = project('packkeep');
    p.write('c.yaml', packCampaign([1], [1, 2], 1));
    const first = await p.lem(['campaign', 'run', 'c.yaml', '--keep-backends'], { env: PACK, timeoutMs: 180_000 });
    expect(first.code, first.stderr).toBe(0);
    const names = async () => (await p.containers()).map((c) => c.Names[0]!.replace(/^\//, '')).sort();
    const kept = await names();
    expect(kept).toEqual([`lem-${p.name}-synthetic-gpu0`, `lem-${p.name}-synthetic-gpu1-2`]);
    // No NVIDIA runtime here: the GPU set is recorded in the container's environment only.
    const env = (await new Docker().getContainer(kept[1]!).inspect()).Config.Env;
    expect(env).toContain('LEM_GPU_SET=1,2');
    expect(env.some((v) => v.startsWith('NVIDIA_VISIBLE_DEVICES='))).toBe(false);
    const again = await p.lem(['campaign', 'run', 'c.yaml'], { env: PACK, timeoutMs: 180_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already running');
    // Not this run's to remove: they were up before it.
    expect(await names()).toEqual(kept);
    const st = await p.lem(['backends', 'status', 'synthetic', '--json'], { env: PACK });
    expect(st.code, st.stderr).toBe(0);
    const gpus = (JSON.parse(st.stdout) as { gpus: { source: string; gpus: { index: number }[] } }).gpus;
    expect(gpus.source).toBe('pretend');
    expect(gpus.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    // Every container lem runs for the backend: its own (never brought up here) and the two GPU-set ones.
    type Row = { backend: string; gpus: number[] | null; container: string; state: string; image: string };
    const rows = (JSON.parse(st.stdout) as { backends: Row[] }).backends;
    expect(rows.map((r) => [r.backend, r.gpus, r.container, r.state])).toEqual([
      ['synthetic', null, `lem-${p.name}-synthetic`, 'absent'],
      ['synthetic', [0], kept[0], 'healthy'],
      ['synthetic', [1, 2], kept[1], 'healthy'],
    ]);
    expect(new Set(rows.map((r) => r.image))).toEqual(new Set(['lem/synthetic:latest']));
    const text = await p.lem(['backends', 'status', 'synthetic'], { env: PACK });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^synthetic +1,2 +${kept[1]} +healthy`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^synthetic +- +lem-${p.name}-synthetic +not created`, 'm'));
    const down = await p.lem(['backends', 'down', 'synthetic'], { env: PACK });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`removed lem-${p.name}-synthetic-gpu1-2`);
    expect(await names()).toEqual([]);
  }, 300_000);

  it('serve experiments against an external endpoint hold no GPU set and run one at a time', async () => {
    const server = await startServer(streamTokens({ tokens: 8, gapMs: 5 }));
    try {
      const p = project('packext');
      p.write(
        'c.yaml',
        `campaign_name: packext
placement: pack
base_config:
  model: {name: m}
  mode: serve
  prompts: {count: 4}
  load: {concurrency: 1, requests: 10, warmup_requests: 1, max_tokens: 8}
  endpoint: {url: "${server.url}", model: m}
vary:
  load.concurrency: [1, 2, 4]
`,
      );
      // One pretend GPU: were each to hold a GPU set, they would still run one at a time, but on GPU 0.
      const r = await p.lem(['campaign', 'run', 'c.yaml'], { env: { LEM_GPUS: '1' }, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const m = manifestOf(p.dir, campaignIdFrom(r.stdout));
      expect(m.experiments.map((e) => e.status)).toEqual(['completed', 'completed', 'completed']);
      for (const e of m.experiments) expect(e.gpus).toEqual([]);
      expect(checkDisjoint(m)).toEqual([]);
      expect(await p.containers()).toEqual([]);
    } finally {
      await server.close();
    }
  }, 180_000);
});
