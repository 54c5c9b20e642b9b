import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import type { Manifest } from '../../src/campaign/manifest.js';
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

// Real Docker engine, real containers of the locally built lem/synthetic image, the real harness, the built CLI
// as a real process. Nothing here is mocked: the synthetic engine is the only double (it stands in for a GPU).

const project = useTestProjects();

function manifestOf(p: TestProject, id: string): Manifest {
  return readManifest(p.dir, id);
}

function resultOf(p: TestProject, campaignId: string, expId: string) {
  return ResultDocument.parse(
    JSON.parse(readFileSync(join(p.dir, 'results', campaignId, expId, 'result.json'), 'utf8')),
  );
}

describe('lem campaign run against a real Docker engine', { timeout: 180_000 }, () => {
  it('runs a whole synthetic campaign: every experiment completed with a valid result, containers torn down', async () => {
    const p = project('full');
    p.write('demo.yaml', syntheticCampaign({ cycles: 2, sizes: [1, 2] }));
    const r = await p.lem(['campaign', 'run', 'demo.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const id = campaignIdFrom(r.stdout);
    expect(r.stdout).toMatch(/4 completed, 0 failed/);
    const m = manifestOf(p, id);
    expect(m.status).toBe('completed');
    expect(m.experiments).toHaveLength(4);
    for (const e of m.experiments) {
      expect(e).toMatchObject({ status: 'completed', attempts: 1, container: `lem-${p.name}-synthetic` });
      const doc = resultOf(p, id, e.id);
      expect(doc.simulated).toBe(true);
      expect(doc.experiment).toMatchObject({
        campaign_id: id,
        experiment_id: e.id,
        config_hash: e.config_hash,
        attempt: 1,
      });
      expect(e.result_path).toBe(`results/${id}/${e.id}/result.json`);
    }
    // One engine load per exec batch: all four share the synthetic engine, so they ran in one exec.
    expect(readdirSync(join(p.dir, '.state', 'batches', id))).toHaveLength(1);
    expect(await p.containers()).toEqual([]);
    // The journal holds every transition, in order: consecutive sequence numbers, the campaign marked running
    // first and completed last, and each experiment running before completed, exactly once each.
    const journal = readFileSync(join(p.dir, '.state', 'campaigns', id, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; id?: string; campaign_status?: string; patch?: { status?: string } });
    expect(journal.map((r) => r.seq)).toEqual(journal.map((_, i) => i + 1));
    expect(journal[0]!.campaign_status).toBe('running');
    expect(journal.at(-1)!.campaign_status).toBe('completed');
    for (const e of m.experiments) {
      const statuses = journal.filter((r) => r.id === e.id && r.patch?.status).map((r) => r.patch!.status);
      expect(statuses).toEqual(['running', 'completed']);
    }
  });

  it('SIGKILL mid-campaign, then resume: each experiment ends with exactly one completed result, nothing completed re-runs', async () => {
    const p = project('kill');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4, 8, 16, 32], seconds: 0.6 }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(child, (t) => (t.match(/ completed in /g) ?? []).length >= 2, 90_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const id = campaignIdFrom(out);
    const before = manifestOf(p, id);
    const completedBefore = before.experiments.filter((e) => e.status === 'completed');
    expect(completedBefore.length).toBeGreaterThanOrEqual(2);
    expect(completedBefore.length).toBeLessThan(6);
    const mtimes = new Map(completedBefore.map((e) => [e.id, statSync(join(p.dir, e.result_path!)).mtimeMs]));

    const r = await p.lem(['campaign', 'resume', id]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const after = manifestOf(p, id);
    expect(after.status).toBe('completed');
    for (const e of after.experiments) {
      expect(e.status).toBe('completed');
      expect(resultOf(p, id, e.id).experiment.experiment_id).toBe(e.id);
    }
    // Completed before the kill: untouched (same file, same attempt count).
    for (const e of completedBefore) {
      expect(statSync(join(p.dir, e.result_path!)).mtimeMs).toBe(mtimes.get(e.id));
      expect(after.experiments.find((x) => x.id === e.id)!.attempts).toBe(e.attempts);
    }
    // Exactly one result folder per planned experiment, nothing else.
    expect(readdirSync(join(p.dir, 'results', id)).sort()).toEqual(after.experiments.map((e) => e.id).sort());
    expect(await p.containers()).toEqual([]);
  });

  it('SIGKILL between two experiments of a batch, then resume: the harness left running is stopped first, never two at once', async () => {
    // The kill lands while the harness pauses for the thermal gap: no experiment is `running` in the manifest, yet the
    // orphaned exec goes on to run the next experiments of its batch unless the resumed run stops it.
    const p = project('orphan');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4], seconds: 2 }) + 'thermal_gap_s: 3\n');
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(child, (t) => / completed in /.test(t), 90_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const id = campaignIdFrom(out);
    expect(manifestOf(p, id).experiments.filter((e) => e.status === 'running')).toEqual([]);

    const container = new Docker().getContainer(`lem-${p.name}-synthetic`);
    const harnesses = async () => {
      try {
        const top = (await container.top()) as { Processes?: string[][] };
        return (top.Processes ?? []).filter((row) => row.join(' ').includes('lem_harness run')).length;
      } catch {
        return 0; // torn down at the end of the resumed run
      }
    };
    expect(await harnesses()).toBe(1); // the orphan, still working through its batch
    const resumed = p.lem(['campaign', 'resume', id]);
    let finished = false;
    void resumed.finally(() => (finished = true));
    let most = 0;
    while (!finished) {
      most = Math.max(most, await harnesses());
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await resumed;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/stopped 1 harness process\(es\) left running/);
    expect(most).toBe(1);
    expect(manifestOf(p, id).experiments.every((e) => e.status === 'completed' && e.attempts === 1)).toBe(true);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s stops the running experiment, marks it interrupted, stops containers and says how to resume',
    async (sig, code) => {
      const p = project(sig.toLowerCase());
      p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4], seconds: 2 }));
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      const done = collect(child, 60_000);
      await waitForOutput(child, (t) => / started/.test(t), 60_000);
      await new Promise((r) => setTimeout(r, 500));
      child.kill(sig);
      const r = await done;
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toMatch(/resume with: lem campaign resume \S+/);
      const id = campaignIdFrom(r.stdout);
      const m = manifestOf(p, id);
      expect(m.status).toBe('interrupted');
      expect(m.experiments.filter((e) => e.status === 'running')).toEqual([]);
      expect(m.experiments.filter((e) => e.status === 'interrupted').length).toBe(1);
      const interrupted = m.experiments.find((e) => e.status === 'interrupted')!;
      expect(existsSync(join(p.dir, 'results', id, interrupted.id))).toBe(false); // no partial result
      expect(await p.containers()).toEqual([]);

      const resumed = await p.lem(['campaign', 'resume', id]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(manifestOf(p, id).experiments.every((e) => e.status === 'completed')).toBe(true);
    },
  );

  it('SIGINT during the thermal gap before a retry: the retry is interrupted without losing the attempt already made', async () => {
    // The harness reports an experiment it was pausing before (never started) as interrupted; that is no attempt.
    const p = project('gapint');
    p.write('c.yaml', `campaign_name: gapint\nretries: 1\nthermal_gap_s: 4\nconfigs: [bad.yaml, good.yaml]\n`);
    const exp = (extra: string) =>
      `backend: synthetic\nmodel: {name: m}\nmax_output_tokens: 4\nprompts: {count: 2}\nmeasurement: {idle_baseline_s: 0, warmup: {max_runs: 2, min_runs: 1, window: 2}}\nsynthetic: {ttft_ms: 1${extra}}\n`;
    p.write('bad.yaml', exp(', fail_experiment: true'));
    p.write('good.yaml', exp(''));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    const done = collect(child, 60_000);
    await waitForOutput(child, (t) => /failed \(attempt 1, will retry\)/.test(t), 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // inside the 4 s pause before attempt 2
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    const bad = manifestOf(p, campaignIdFrom(r.stdout)).experiments[0]!;
    expect(bad).toMatchObject({ status: 'interrupted', attempts: 1 });
  });

  it('a backend container killed mid-experiment: the experiment fails with the reason, the container restarts, the retry completes', async () => {
    const p = project('dies');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2], seconds: 3, retries: 1 }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    const done = collect(child, 120_000);
    await waitForOutput(child, (t) => / started/.test(t), 60_000);
    await new Promise((r) => setTimeout(r, 700));
    await new Docker().getContainer(`lem-${p.name}-synthetic`).kill();
    const r = await done;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/died during the experiment/);
    const m = manifestOf(p, campaignIdFrom(r.stdout));
    expect(m.experiments.every((e) => e.status === 'completed')).toBe(true);
    expect(m.experiments[0]!.attempts).toBe(2);
    expect(await p.containers()).toEqual([]);
  });

  it('a resume that cannot go on (the restarted backend never turns healthy): exit 1, the campaign is marked failed, not left running', async () => {
    const p = project('resumefail', {
      editCompose: (t) =>
        t.replace(
          / {2}synthetic:\n( {4}.*\n)*? {4}build: docker\/synthetic\n/,
          (block) =>
            block +
            '    healthcheck:\n      test: ["CMD-SHELL", "test ! -e /tmp/sick"]\n      interval: 1s\n      retries: 1000\n',
        ),
    });
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2], seconds: 3 }));
    const first = p.spawn(['campaign', 'run', 'c.yaml']);
    let out = '';
    first.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(first, (t) => / started/.test(t), 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.on('close', r));
    const id = campaignIdFrom(out);

    const resume = p.spawn(['campaign', 'resume', id, '--health-timeout', '3']);
    const done = collect(resume, 120_000);
    await waitForOutput(resume, (t) => / started/.test(t), 60_000);
    // The container dies mid-experiment, and once restarted its health check fails for good.
    const container = new Docker().getContainer(`lem-${p.name}-synthetic`);
    const exec = await container.exec({ Cmd: ['touch', '/tmp/sick'] });
    await exec.start({ Detach: true });
    await new Promise((r) => setTimeout(r, 300));
    await container.kill();
    const r = await done;
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toMatch(/LEM012: backend "synthetic" .* is not healthy/);
    expect(r.stderr).toContain(`lem campaign resume ${id}`);
    expect(manifestOf(p, id).status).toBe('failed');
  });

  it('an experiment that keeps failing is reported by name, container and log after its retries, exit 1', async () => {
    const p = project('fails');
    p.write(
      'c.yaml',
      syntheticCampaign({ sizes: [1], retries: 1 }).replace('ttft_ms: 1}', 'ttft_ms: 1, fail_experiment: true}'),
    );
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    const id = campaignIdFrom(r.stdout);
    const e = manifestOf(p, id).experiments[0]!;
    expect(e).toMatchObject({ status: 'failed', attempts: 2, container: `lem-${p.name}-synthetic` });
    expect(r.stdout).toContain(`failed ${e.id}`);
    expect(r.stdout).toContain(`log: ${e.log_path}`);
    expect(r.stderr).toMatch(/LEM016: 1 experiment\(s\) of .* failed/);
    expect(readFileSync(join(p.dir, e.log_path!), 'utf8')).toMatch(/Traceback|fail/i);
  });

  it('a missing or invalid result file fails the experiment with a message naming the file (harness double)', async () => {
    const p = project('badresult', { harnessDir: join(REPO, 'test/fixtures/harness-double') });
    p.write(
      'c.yaml',
      `campaign_name: bad
retries: 0
configs: [missing.yaml, invalid.yaml, schema.yaml]
`,
    );
    for (const [file, name] of [
      ['missing.yaml', 'missing-result'],
      ['invalid.yaml', 'invalid-json'],
      ['schema.yaml', 'wrong-schema'],
    ] as const) {
      p.write(file, `name: ${name}\nbackend: synthetic\nmodel: {name: m}\n`);
    }
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    const m = manifestOf(p, campaignIdFrom(r.stdout));
    expect(m.experiments.map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
    expect(m.experiments[0]!.error).toMatch(/result file missing: results\/.*\/result\.json/);
    expect(m.experiments[1]!.error).toMatch(/result file is not JSON/);
    expect(m.experiments[2]!.error).toMatch(/does not match schema v6/);
  });

  it('an event for an experiment that is not in the running batch is logged and ignored, not a crash (harness double)', async () => {
    // A backend cannot read plan.json (lem's state is never mounted), so the double names an id of its own making.
    const p = project('foreign', { harnessDir: join(REPO, 'test/fixtures/harness-double') });
    p.write('c.yaml', `campaign_name: foreign\nretries: 0\nconfigs: [a.yaml, b.yaml]\n`);
    // Different models: two batches; the second one's experiment fails with a missing result.
    p.write('a.yaml', `name: foreign-event\nbackend: synthetic\nmodel: {name: m1}\n`);
    p.write('b.yaml', `name: missing-result\nbackend: synthetic\nmodel: {name: m2}\n`);
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
    expect(r.code, r.stderr).toBe(1);
    const m = manifestOf(p, campaignIdFrom(r.stdout));
    expect(m.status).toBe('failed');
    expect(m.experiments.map((e) => [e.status, e.attempts])).toEqual([
      ['failed', 1],
      ['failed', 1],
    ]);
    expect(m.experiments.every((e) => /result file missing/.test(e.error ?? ''))).toBe(true);
    expect(readFileSync(join(p.dir, m.experiments[0]!.log_path!), 'utf8')).toContain(
      `ignored "started" of ${m.experiments[0]!.id}-foreign, which is not in this batch`,
    );
  });

  it('bad input and a broken environment get one clear message and the right exit code', async () => {
    const p = project('errors');
    // Usage/config errors: exit 2, nothing created.
    const missing = await p.lem(['campaign', 'run', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml/);
    expect(existsSync(join(p.dir, '.state'))).toBe(false);

    p.write('c.yaml', syntheticCampaign());
    // Docker engine not reachable: exit 1, names where it looked.
    const noDocker = await p.lem(['campaign', 'run', 'c.yaml'], {
      env: { ...p.env, DOCKER_HOST: 'unix:///tmp/lem-no-such-docker.sock' },
    });
    expect(noDocker.code).toBe(1);
    expect(noDocker.stderr).toMatch(
      /LEM010: the Docker engine is not reachable at unix:\/\/\/tmp\/lem-no-such-docker\.sock/,
    );
    expect(noDocker.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const resumeUnknown = await p.lem(['campaign', 'resume', 'no-such-campaign']);
    expect(resumeUnknown.code).toBe(2);
    expect(resumeUnknown.stderr).toMatch(/LEM005: no campaign "no-such-campaign"/);
  });

  it('an image that is not present: exit 1, names the image and how to build it', async () => {
    const p = project('noimage', {
      editCompose: (t) => t.replace('image: lem/synthetic:latest', 'image: lem/not-built:latest'),
    });
    p.write('c.yaml', syntheticCampaign());
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LEM011: image lem\/not-built:latest for backend "synthetic" is not present/);
    expect(r.stderr).toMatch(/build it with: bash scripts\/build-images\.sh/);
  });

  it('a health check that never passes: exit 1 after the timeout, naming the container and showing its last log lines', async () => {
    const p = project('unhealthy', {
      editCompose: (t) =>
        t.replace(
          / {2}synthetic:\n( {4}.*\n)*? {4}build: docker\/synthetic\n/,
          (block) =>
            block +
            '    command: ["sh", "-c", "echo warming up the fake engine; sleep infinity"]\n    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1000\n',
        ),
    });
    p.write('c.yaml', syntheticCampaign());
    const r = await p.lem(['campaign', 'run', 'c.yaml', '--health-timeout', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `LEM012: backend "synthetic" \\(container lem-${p.name}-synthetic\\) is not healthy: health check did not pass within 3 s`,
      ),
    );
    expect(r.stderr).toMatch(/warming up the fake engine/);
    expect(await p.containers()).toEqual([]);
  });

  it('security: not privileged, no Docker socket, harness read-only; secrets reach the container but never the manifest, results or logs', async () => {
    const p = project('secure');
    p.write('c.yaml', syntheticCampaign({ sizes: [1] }));
    const secret = `hf_${Math.random().toString(36).slice(2)}SECRET`;
    const r = await p.lem(['campaign', 'run', 'c.yaml', '--keep-backends'], { env: { ...p.env, HF_TOKEN: secret } });
    expect(r.code, r.stderr).toBe(0);
    const info = await new Docker().getContainer(`lem-${p.name}-synthetic`).inspect();
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.Binds!.some((b) => b.includes('docker.sock'))).toBe(false);
    expect(info.HostConfig.Binds!.find((b) => b.includes(':/app/harness'))).toMatch(/:ro$/);
    expect(info.Config.Env).toContain(`HF_TOKEN=${secret}`);
    const grepTree = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
        const f = join(d.parentPath, d.name);
        return d.isDirectory() ? grepTree(f) : readFileSync(f, 'utf8').includes(secret) ? [f] : [];
      });
    expect(grepTree(join(p.dir, '.state'))).toEqual([]);
    expect(grepTree(join(p.dir, 'results'))).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(secret);
    // --keep-backends left it running; `backends down` removes it.
    const down = await p.lem(['backends', 'down']);
    expect(down.code).toBe(0);
    expect(await p.containers()).toEqual([]);
  });

  it('backends up/status/down, and a campaign reuses a running backend and leaves it running; status/list/doctor report', async () => {
    const p = project('backends');
    const up = await p.lem(['backends', 'up', 'synthetic']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`synthetic: healthy (lem-${p.name}-synthetic)`);
    const st = await p.lem(['backends', 'status', 'synthetic', '--json']);
    expect(JSON.parse(st.stdout).backends[0]).toMatchObject({
      backend: 'synthetic',
      container: `lem-${p.name}-synthetic`,
    });
    expect(['healthy', 'starting']).toContain(JSON.parse(st.stdout).backends[0].state);
    // The harness in the running container was asked which GPUs its NVML sees: none here, and why.
    expect(JSON.parse(st.stdout).backends[0].harness_gpus).toEqual({
      source: 'harness',
      gpus: [],
      note: 'pynvml (nvidia-ml-py) is not installed in this container',
    });
    const stText = await p.lem(['backends', 'status', 'synthetic']);
    expect(stText.stdout).toContain(`lem-${p.name}-synthetic: the harness sees no GPU (pynvml (nvidia-ml-py) is not`);

    p.write('c.yaml', syntheticCampaign({ sizes: [1] }));
    const run = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/already running/);
    expect((await p.containers()).map((c) => c.State)).toEqual(['running']); // not ours to tear down

    const id = campaignIdFrom(run.stdout);
    const list = await p.lem(['campaign', 'list', '--json']);
    expect(JSON.parse(list.stdout).campaigns).toEqual([
      expect.objectContaining({ id, status: 'completed', completed: 1, total: 1 }),
    ]);
    const status = await p.lem(['campaign', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ campaign_id: id, counts: { completed: 1, total: 1 } });
    const human = await p.lem(['campaign', 'status', id]);
    expect(human.stdout).toMatch(/1 completed, 0 failed/);

    const doctor = await p.lem(['doctor', '--json']);
    expect(doctor.code).toBe(0);
    const checks = JSON.parse(doctor.stdout).checks as { name: string; ok: boolean }[];
    expect(checks.find((c) => c.name === 'docker engine')!.ok).toBe(true);
    expect(checks.find((c) => c.name === 'image lem/synthetic:latest')!.ok).toBe(true);

    const unknown = await p.lem(['backends', 'up', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown backend\(s\): nosuch/);

    const down = await p.lem(['backends', 'down']);
    expect(down.code).toBe(0);
    expect(await p.containers()).toEqual([]);
  });

  it('honours thermal_gap_s between experiments (not before the first)', async () => {
    const p = project('gap');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4] }) + 'thermal_gap_s: 1.5\n');
    const t0 = Date.now();
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(p, campaignIdFrom(r.stdout));
    const starts = m.experiments.map((e) => Date.parse(e.started_at!));
    const ends = m.experiments.map((e) => Date.parse(e.finished_at!));
    expect(starts[0]! - t0).toBeLessThan(10_000);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - ends[i - 1]!).toBeGreaterThanOrEqual(1400);
  });

  it('a prompts file under configs/ is read through its mount; one outside every mount fails with a clear message', async () => {
    const p = project('prompts');
    mkdirSync(join(p.dir, 'configs'));
    writeFileSync(
      join(p.dir, 'configs', 'prompts.jsonl'),
      ['{"prompt": "one two three"}', '{"prompt": "four five"}'].join('\n') + '\n',
    );
    const outside = join(mkdtempSync(join(tmpdir(), 'lem-outside-')), 'prompts.jsonl');
    writeFileSync(outside, '{"prompt": "x"}\n');
    p.write('c.yaml', `campaign_name: prompts\nretries: 0\nconfigs: [in.yaml, out.yaml]\n`);
    const exp = (file: string) =>
      `backend: synthetic\nmodel: {name: m}\nmax_output_tokens: 4\nprompts: {source: file, file: ${file}, count: 2}\nmeasurement: {idle_baseline_s: 0, warmup: {max_runs: 2, min_runs: 1, window: 2}}\n`;
    p.write('in.yaml', exp('configs/prompts.jsonl'));
    p.write('out.yaml', exp(outside));
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    const id = campaignIdFrom(r.stdout);
    const [inside, out] = manifestOf(p, id).experiments;
    expect(inside!.status, inside!.error ?? '').toBe('completed');
    expect(resultOf(p, id, inside!.id).tokens.prompts).toBe(2);
    expect(out!.status).toBe('failed');
    expect(out!.error).toMatch(/prompts file .*prompts\.jsonl is not inside a folder mounted into lem-.*-synthetic/);
  });

  it('one orchestrator per campaign: a second resume while it runs is refused, naming the PID', async () => {
    const p = project('lock');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4], seconds: 1.5 }));
    const child = p.spawn(['campaign', 'run', 'c.yaml']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = collect(child, 90_000);
    await waitForOutput(child, (t) => / started/.test(t), 60_000);
    const second = await p.lem(['campaign', 'resume', campaignIdFrom(out)]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`LEM021: another run of campaign \\S+ \\(PID ${child.pid}, running since`),
    );
    const first = await done;
    expect(first.code, first.stderr).toBe(0);
    const m = manifestOf(p, campaignIdFrom(out));
    expect(m.experiments.every((e) => e.status === 'completed' && e.attempts === 1)).toBe(true);
    expect(existsSync(join(p.dir, '.state', 'campaigns', m.campaign_id, 'lock'))).toBe(false);
    // The refused resume wrote nothing: the journal is one writer's, with consecutive sequence numbers.
    const seqs = readFileSync(join(p.dir, '.state', 'campaigns', m.campaign_id, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(m.status).toBe('completed');
  });

  it('Ctrl-C while waiting for a backend to become healthy: interrupted at once, nothing run, containers removed', async () => {
    const p = project('healthint', {
      editCompose: (t) =>
        t.replace(
          / {2}synthetic:\n( {4}.*\n)*? {4}build: docker\/synthetic\n/,
          (block) =>
            block + '    healthcheck:\n      test: ["CMD", "false"]\n      interval: 1s\n      retries: 1000\n',
        ),
    });
    p.write('c.yaml', syntheticCampaign());
    const child = p.spawn(['campaign', 'run', 'c.yaml', '--health-timeout', '120']);
    const done = collect(child, 60_000);
    await waitForOutput(child, (t) => /waiting for backend synthetic/.test(t), 30_000);
    const t0 = Date.now();
    child.kill('SIGINT');
    const r = await done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/resume with: lem campaign resume/);
    const m = manifestOf(p, campaignIdFrom(r.stdout));
    expect(m.status).toBe('interrupted');
    expect(m.experiments.every((e) => e.status === 'pending' && e.attempts === 0)).toBe(true);
    expect(await p.containers()).toEqual([]);
  });

  it('a container that is created but cannot start is not left behind', async () => {
    // Without an init process the engine itself fails to start a missing program (with one, init starts and exits).
    const p = project('nostart', {
      editCompose: (t) =>
        t
          .replace(/ {2}init: true.*\n/, '  init: false\n')
          .replace('  command: ["sleep", "infinity"]', '  command: ["/no/such/program"]'),
    });
    p.write('c.yaml', syntheticCampaign());
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /LEM013: could not start backend "synthetic" \(container lem-\S+-synthetic\): .*\/no\/such\/program/,
    );
    expect(await p.containers()).toEqual([]);
  });

  it('a backend whose main process exits at once: one message with its last log lines', async () => {
    const p = project('exits', {
      editCompose: (t) => t.replace('  command: ["sleep", "infinity"]', '  command: ["/no/such/program"]'),
    });
    p.write('c.yaml', syntheticCampaign());
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /LEM012: backend "synthetic" \(container lem-\S+-synthetic\) is not healthy: container exited with code 127/,
    );
    expect(r.stderr).toMatch(/exec \/no\/such\/program failed/);
    expect(await p.containers()).toEqual([]);
  });

  it('an experiment that outlives experiment_timeout_s is stopped and fails with that reason; the campaign goes on', async () => {
    const p = project('timeout');
    p.write(
      'c.yaml',
      `campaign_name: timeout
retries: 0
experiment_timeout_s: 2
configs: [slow.yaml, fast.yaml]
`,
    );
    const exp = (tps: number) =>
      `backend: synthetic\nmodel: {name: m}\nmax_output_tokens: 20\nprompts: {count: 4}\nmeasurement: {idle_baseline_s: 0, warmup: {max_runs: 2, min_runs: 1, window: 2}}\nsynthetic: {tokens_per_second: ${tps}}\n`;
    p.write('slow.yaml', exp(5));
    p.write('fast.yaml', exp(100000));
    const t0 = Date.now();
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).toBe(1);
    const [slow, fast] = manifestOf(p, campaignIdFrom(r.stdout)).experiments;
    expect(slow).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'timed out: ran longer than experiment_timeout_s (2 s)',
    });
    expect(fast!.status).toBe('completed');
    expect(r.stdout).toContain(`failed ${slow!.id}: timed out`);
  });

  it('a harness that exits before starting any experiment: each attempt counts, the error and log say so, no endless loop', async () => {
    const p = project('early', { harnessDir: join(REPO, 'test/fixtures/harness-double') });
    p.write('c.yaml', 'campaign_name: early\nretries: 1\nconfigs: [e.yaml]\n');
    p.write('e.yaml', 'name: exit-early\nbackend: synthetic\nmodel: {name: m}\n');
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(1);
    const [e] = manifestOf(p, campaignIdFrom(r.stdout)).experiments;
    expect(e).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'the harness exited with code 4 before finishing; no experiment of the batch started',
    });
    expect(readFileSync(join(p.dir, e!.log_path!), 'utf8')).toContain('exiting before any experiment');
  });
});
