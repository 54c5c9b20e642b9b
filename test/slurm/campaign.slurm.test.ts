import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { collect, TestProject, waitForOutput } from '../support/lem-project.js';
import { manifestOf } from '../support/manifest-of.js';

// `lem campaign run` with executor: slurm against the real single-node Slurm that scripts/slurm-up.sh starts
// (4 pretend GPUs, 2 CPUs: two jobs run at once), each batch job running lem/synthetic in the node's Docker.

/** A campaign of `sizes.length` one-experiment batches, each taking about `seconds`. */
function campaign(name: string, o: { sizes?: number[]; seconds?: number; retries?: number; slurm?: string } = {}) {
  const sizes = o.sizes ?? [1, 2, 4];
  const tps = Math.max(1, Math.round(80 / (o.seconds ?? 1)));
  return `campaign_name: ${name}
retries: ${o.retries ?? 1}
executor: slurm
slurm:
  ${o.slurm ?? 'partition: debug'}
  exclusive: false
  poll_interval_s: 0.3
base_config:
  backend: synthetic
  model: {name: synthetic-model}
  max_output_tokens: 20
  prompts: {count: 4}
  force_cold_start: true
  measurement: {idle_baseline_s: 0, warmup: {max_runs: 1, min_runs: 1, window: 2}}
  synthetic: {tokens_per_second: ${tps}, ttft_ms: 1}
vary:
  batching.batch_size: [${sizes.join(', ')}]
`;
}

interface Submitted {
  kind: string;
  batch_id: string;
  job_id: string;
  experiments: { id: string; attempts: number }[];
}

const campaignDir = (p: TestProject) => {
  const ids = readdirSync(join(p.dir, '.state', 'campaigns'));
  expect(ids).toHaveLength(1);
  return join(p.dir, '.state', 'campaigns', ids[0]!);
};
const submitted = (p: TestProject): Submitted[] =>
  readFileSync(join(campaignDir(p), 'slurm-jobs.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Submitted)
    .filter((r) => r.kind === 'submitted');
const manifest = (p: TestProject) => manifestOf(p.dir, basename(campaignDir(p)));
/** The campaign's jobs Slurm still shows (any state), by job id. */
function jobsOf(name: string): Map<string, string> {
  const out = execFileSync('squeue', ['-h', '-r', '-t', 'all', '-o', '%i|%T|%k'], { encoding: 'utf8' });
  const rows = out.split('\n').map((l) => l.split('|'));
  return new Map(rows.filter((r) => r[2]?.startsWith(`lem:${name}-`)).map((r) => [r[0]!, r[1]!]));
}

const projects: TestProject[] = [];
const names: string[] = [];
afterEach(async () => {
  // Whatever a failed test left queued or running is cancelled (lem's jobs carry the comment lem:<campaign>).
  for (const n of names.splice(0)) {
    const live = [...jobsOf(n)].filter(([, s]) => s === 'PENDING' || s === 'RUNNING').map(([id]) => id);
    if (live.length > 0) execFileSync('scancel', live);
  }
  for (const p of projects.splice(0)) await p.cleanup();
});

function project(label: string): { p: TestProject; name: string } {
  const p = new TestProject(label);
  const name = `sl${Math.random().toString(36).slice(2, 8)}`;
  projects.push(p);
  names.push(name);
  return { p, name };
}

describe('campaign run with executor: slurm', () => {
  it('runs 3 batches as one job array on their own GPUs, with valid results', { timeout: 120_000 }, async () => {
    const { p, name } = project('slarray');
    p.write('c.yaml', campaign(name));
    const r = await p.lem(['campaign', 'run', 'c.yaml'], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    const jobs = submitted(p);
    expect(jobs).toHaveLength(3);
    // One sbatch: every batch is a task of the same array.
    const base = jobs[0]!.job_id.split('_')[0];
    expect(jobs.map((j) => j.job_id).sort()).toEqual([`${base}_0`, `${base}_1`, `${base}_2`]);
    const m = manifest(p);
    expect(m.status).toBe('completed');
    const gpus = m.experiments.map((e) => /GPU (\d+)/.exec(e.container ?? '')?.[1]);
    expect(gpus.every((g) => g !== undefined)).toBe(true);
    // Two tasks run at once on this node (2 CPUs): Slurm gave them different GPUs.
    expect(new Set(gpus).size).toBeGreaterThanOrEqual(2);
    for (const e of m.experiments) {
      expect(e.status).toBe('completed');
      const doc: unknown = JSON.parse(
        readFileSync(join(p.dir, 'results', campaignDir(p).split('/').pop()!, e.id, 'result.json'), 'utf8'),
      );
      expect(ResultDocument.safeParse(doc).success).toBe(true);
    }
  });

  it(
    'after SIGKILL of lem, resume re-attaches to the recorded jobs and submits nothing again',
    { timeout: 180_000 },
    async () => {
      const { p, name } = project('slkill');
      p.write('c.yaml', campaign(name, { seconds: 8 }));
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      const done = collect(child, 170_000);
      await waitForOutput(child, (t) => / started/.test(t), 90_000);
      child.kill('SIGKILL');
      await done;
      const before = submitted(p).map((j) => j.job_id);
      expect(before).toHaveLength(3);
      // The jobs outlive lem: at least one is still pending or running when it resumes.
      const live = [...jobsOf(name)].filter(([, s]) => s === 'PENDING' || s === 'RUNNING');
      expect(live.length).toBeGreaterThan(0);
      const r = await p.lem(['campaign', 'resume', campaignDir(p).split('/').pop()!], { timeoutMs: 150_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/re-attached to \d Slurm job/);
      expect(r.stderr).not.toMatch(/submitted batch/);
      // The same jobs, no new ones: nothing resubmitted, nothing run twice.
      expect(submitted(p).map((j) => j.job_id)).toEqual(before);
      expect([...jobsOf(name).keys()].sort()).toEqual([...before].sort());
      const m = manifest(p);
      expect(m.experiments.map((e) => [e.status, e.attempts])).toEqual([
        ['completed', 1],
        ['completed', 1],
        ['completed', 1],
      ]);
    },
  );

  it(
    'Ctrl-C with --detach leaves the jobs running and says how to resume or cancel; plain Ctrl-C cancels them',
    { timeout: 180_000 },
    async () => {
      const { p, name } = project('slint');
      p.write('c.yaml', campaign(name, { sizes: [1, 2], seconds: 15 }));
      const child = p.spawn(['campaign', 'run', 'c.yaml', '--detach']);
      const done = collect(child, 60_000);
      await waitForOutput(child, (t) => / started/.test(t), 90_000);
      child.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(new RegExp(`cancel them with: scancel --name=lem-${name}-`));
      expect(r.stdout).toMatch(/resume with: lem campaign resume/);
      const live = () => [...jobsOf(name)].filter(([, s]) => s === 'PENDING' || s === 'RUNNING');
      expect(live().length).toBeGreaterThan(0);
      expect(manifest(p).status).toBe('interrupted');

      // The same campaign resumed without --detach, interrupted again: every job of it is cancelled.
      const id = campaignDir(p).split('/').pop()!;
      const again = p.spawn(['campaign', 'resume', id]);
      const done2 = collect(again, 90_000);
      await waitForOutput(again, (t) => /re-attached/.test(t), 30_000);
      again.kill('SIGINT');
      const r2 = await done2;
      expect(r2.code).toBe(130);
      expect(r2.stderr).toMatch(/cancelling \d Slurm job/);
      expect(live()).toEqual([]);
      const m = manifest(p);
      expect(m.status).toBe('interrupted');
      // Interrupted by lem's own Ctrl-C: no attempt is spent.
      for (const e of m.experiments)
        if (e.status !== 'completed') expect([e.status, e.attempts]).toEqual(['interrupted', 0]);
    },
  );

  it(
    'runs 20 experiments in multi-experiment batches with the same results as a local run of the same plan',
    { timeout: 240_000 },
    async () => {
      const { p, name } = project('sl20');
      // 2 models × 5 batch sizes × 2 cycles; each model's run of sizes shares a loaded engine: 4 batches of 5.
      const text = campaign(name, { sizes: [1, 2, 4, 8, 16] })
        .replace('  force_cold_start: true\n', '')
        .replace('  model: {name: synthetic-model}\n', '')
        .replace('vary:\n', 'vary:\n  model.name: [m1, m2]\n')
        .replace('retries: 1', 'retries: 1\ncycles: 2');
      p.write('slurm.yaml', text);
      const r = await p.lem(['campaign', 'run', 'slurm.yaml'], { timeoutMs: 110_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(submitted(p).map((b) => b.experiments.length)).toEqual([5, 5, 5, 5]);
      const slurmId = campaignDir(p).split('/').pop()!;
      p.write('local.yaml', text.replace('executor: slurm', 'executor: local'));
      const l = await p.lem(['campaign', 'run', 'local.yaml'], { timeoutMs: 110_000 });
      expect(l.code, l.stderr).toBe(0);
      const localId = readdirSync(join(p.dir, '.state', 'campaigns')).find((d) => d !== slurmId)!;
      const results = (id: string) =>
        readdirSync(join(p.dir, 'results', id))
          .sort()
          .map((e) => {
            const doc = ResultDocument.parse(
              JSON.parse(readFileSync(join(p.dir, 'results', id, e, 'result.json'), 'utf8')),
            );
            const x = doc.experiment;
            return [e, x.experiment_id, x.config_hash, x.cycle, x.index, x.attempt, x.backend, x.config];
          });
      // Measurements differ run to run; what was run (ids, configs, cycles, attempts) is the same.
      const viaSlurm = results(slurmId);
      expect(viaSlurm).toHaveLength(20);
      expect(viaSlurm).toEqual(results(localId));
    },
  );

  it(
    'an experiment over experiment_timeout_s gets its job cancelled and counts as timed out',
    { timeout: 120_000 },
    async () => {
      const { p, name } = project('sltimeout');
      p.write(
        'c.yaml',
        campaign(name, { sizes: [1], seconds: 30, retries: 0 }).replace(
          'retries: 0',
          'retries: 0\nexperiment_timeout_s: 3',
        ),
      );
      const r = await p.lem(['campaign', 'run', 'c.yaml'], { timeoutMs: 100_000 });
      expect(r.code).toBe(1);
      const [job] = submitted(p);
      expect(jobsOf(name).get(job!.job_id)).toBe('CANCELLED');
      const [e] = manifest(p).experiments;
      expect([e!.status, e!.attempts]).toEqual(['failed', 1]);
      expect(e!.error).toMatch(/timed out: ran longer than experiment_timeout_s \(3 s\)/);
    },
  );

  it('retries a failing experiment as a new job, per retries', { timeout: 120_000 }, async () => {
    const { p, name } = project('slretry');
    p.write(
      'c.yaml',
      campaign(name, { sizes: [1], retries: 1 }).replace('ttft_ms: 1}', 'ttft_ms: 1, fail_experiment: true}'),
    );
    const r = await p.lem(['campaign', 'run', 'c.yaml'], { timeoutMs: 110_000 });
    expect(r.code).toBe(1);
    const jobs = submitted(p);
    // The first attempt and its one retry, each its own job.
    expect(jobs.map((j) => j.experiments[0]!.attempts)).toEqual([0, 1]);
    expect(new Set(jobs.map((j) => j.job_id)).size).toBe(2);
    const [e] = manifest(p).experiments;
    expect(e!.status).toBe('failed');
    expect(e!.attempts).toBe(2);
  });

  it(
    'a job cancelled with scancel by someone else is cancelled, not failed: submitted again, no attempt spent',
    { timeout: 150_000 },
    async () => {
      const { p, name } = project('slscancel');
      p.write('c.yaml', campaign(name, { sizes: [1], seconds: 6, retries: 0 }));
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      const done = collect(child, 140_000);
      await waitForOutput(child, (t) => / started/.test(t), 90_000);
      const [first] = submitted(p);
      execFileSync('scancel', [first!.job_id]);
      const r = await done;
      // With retries: 0 a failed attempt would end the campaign failed; a cancel is not one.
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`Slurm job ${first!.job_id} was cancelled outside lem \\(scancel\\)`));
      expect(r.stderr).not.toMatch(/will retry/);
      const jobs = submitted(p);
      expect(jobs.map((j) => j.experiments[0]!.attempts)).toEqual([0, 0]);
      expect(jobs[1]!.job_id).not.toBe(first!.job_id);
      expect(manifest(p).experiments.map((e) => [e.status, e.attempts])).toEqual([['completed', 1]]);
    },
  );

  it('campaign status shows the jobs still queued and why they wait', { timeout: 90_000 }, async () => {
    const { p, name } = project('slstatus');
    // Held jobs wait with reason JobHeldUser, as jobs on a drained node wait with theirs, without draining it.
    p.write('c.yaml', campaign(name, { sizes: [1, 2], slurm: 'extra_sbatch: ["--hold"]' }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    const done = collect(child, 60_000);
    await waitForOutput(child, (t) => (t.match(/submitted batch/g) ?? []).length === 2, 60_000);
    const id = campaignDir(p).split('/').pop()!;
    const s = await p.lem(['campaign', 'status', id]);
    expect(s.code).toBe(0);
    const jobs = submitted(p).map((j) => j.job_id);
    for (const j of jobs) expect(s.stdout).toMatch(new RegExp(`${j}\\s+PENDING\\s+JobHeldUser\\s+0`));
    const js = await p.lem(['campaign', 'status', id, '--json']);
    const q = (JSON.parse(js.stdout) as { slurm_jobs: { job_id: string; reason: string }[] }).slurm_jobs;
    expect(q.map((x) => [x.job_id, x.reason])).toEqual(jobs.map((j) => [j, 'JobHeldUser']));
    child.kill('SIGINT');
    expect((await done).code).toBe(130);
  });

  it(
    'a job that runs past its Slurm time limit ends TIMEOUT and its experiment is retried as a new job',
    { timeout: 240_000 },
    async () => {
      const { p, name } = project('sltime');
      // About 100 s of work against Slurm's smallest limit, one minute (enforced within about 30 s after it).
      p.write('c.yaml', campaign(name, { sizes: [1], seconds: 400, slurm: 'partition: debug\n  time_limit: "1"' }));
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      const done = collect(child, 230_000);
      await waitForOutput(
        child,
        (t) => /failed \(attempt 1, will retry\): Slurm job \S+ ended TIMEOUT/.test(t),
        200_000,
      );
      for (let i = 0; i < 40 && submitted(p).length < 2; i++) await new Promise((r) => setTimeout(r, 250));
      const jobs = submitted(p);
      expect(jobs).toHaveLength(2);
      expect(jobs[1]!.job_id).not.toBe(jobs[0]!.job_id);
      child.kill('SIGINT');
      expect((await done).code).toBe(130);
    },
  );

  it('a drained node leaves the jobs pending, with the reason in campaign status', { timeout: 90_000 }, async () => {
    const { p, name } = project('sldrain');
    // The shared-folder check needs a job to run; on a drained node none can, so it is skipped here.
    p.write('c.yaml', campaign(name, { sizes: [1], slurm: 'partition: debug\n  shared_fs_check_s: 0' }));
    const node = execFileSync('sinfo', ['-h', '-N', '-o', '%N'], { encoding: 'utf8' }).trim().split('\n')[0]!;
    execFileSync('scontrol', ['update', `nodename=${node}`, 'state=drain', 'reason=lem-test-drain']);
    try {
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      const done = collect(child, 60_000);
      await waitForOutput(child, (t) => /submitted batch/.test(t), 60_000);
      const id = campaignDir(p).split('/').pop()!;
      const [job] = submitted(p);
      let line = '';
      for (let i = 0; i < 40 && !line; i++) {
        const s = await p.lem(['campaign', 'status', id]);
        line =
          s.stdout
            .split('\n')
            .find((l) => l.includes(job!.job_id) && /PENDING/.test(l) && /Node|Resources|Drain/i.test(l)) ?? '';
        if (!line) await new Promise((r) => setTimeout(r, 250));
      }
      // Slurm's own words for why the job waits (e.g. ReqNodeNotAvail, UnavailableNodes:<node>), not a guess.
      expect(line).not.toBe('');
      child.kill('SIGINT');
      expect((await done).code).toBe(130);
    } finally {
      execFileSync('scontrol', ['update', `nodename=${node}`, 'state=resume']);
    }
  });

  it('refuses bad slurm: settings with exit 2, file:line:field, and submits nothing', async () => {
    const { p, name } = project('slbad');
    p.write('bad.yaml', campaign(name, { slurm: 'launcher: podman' }));
    const r = await p.lem(['campaign', 'run', 'bad.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:5:\d+: slurm\.launcher: expected one of "docker", "apptainer", "enroot"/);
    p.write('nopart.yaml', campaign(name, { slurm: 'partition: nosuch' }));
    const r2 = await p.lem(['campaign', 'run', 'nopart.yaml']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/nopart\.yaml:5:\d+: slurm\.partition: no partition "nosuch"/);
    expect(jobsOf(name).size).toBe(0);
  });
});
