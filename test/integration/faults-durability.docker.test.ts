import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readProcStat } from '../../src/core/proc-stat.js';
import { campaignIdFrom, LEM_BIN, syntheticCampaign, TestProject, waitForOutput } from '../support/lem-project.js';
import { manifestOf } from '../support/manifest-of.js';
import { canMount, mountSmallDisk } from '../support/small-disk.js';

// Faults injected for real: a full disk under .state (a small tmpfs; mounting needs root, as CI has), and a
// kill -9 whose victim stays a zombie because its parent does not reap it. Real Docker, real harness, built CLI.

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(async () => {
  await new Docker().getImage('lem/synthetic:latest').inspect(); // built by scripts/build-images.sh (.ci/run)
});

function project(label: string): TestProject {
  const p = new TestProject(label);
  cleanups.push(() => p.cleanup());
  return p;
}

type JournalLine = { seq: number; id?: string; patch?: { status?: string } };
const journalOf = (p: TestProject, id: string): JournalLine[] =>
  readFileSync(join(p.dir, '.state', 'campaigns', id, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalLine);

/** Every experiment completed with its own result, and none completed twice. */
function expectEachCompletedOnce(p: TestProject, id: string): void {
  const m = manifestOf(p.dir, id);
  expect(m.status).toBe('completed');
  for (const e of m.experiments) {
    expect(e.status).toBe('completed');
    const doc = JSON.parse(readFileSync(join(p.dir, e.result_path!), 'utf8')) as {
      experiment: { experiment_id: string };
    };
    expect(doc.experiment.experiment_id).toBe(e.id);
    expect(journalOf(p, id).filter((r) => r.id === e.id && r.patch?.status === 'completed')).toHaveLength(1);
  }
  expect(readdirSync(join(p.dir, 'results', id)).sort()).toEqual(m.experiments.map((e) => e.id).sort());
}

/** Fills a disk page by page until it refuses more; returns the filler folder to delete to free it again. */
function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  mkdirSync(filler, { recursive: true });
  for (let n = 0; n < 100_000; n++) {
    try {
      writeFileSync(join(filler, String(n)), Buffer.alloc(4096));
    } catch {
      return filler;
    }
  }
  throw new Error(`${dir} did not fill up`);
}

describe('durable state under faults', { timeout: 240_000 }, () => {
  it.runIf(canMount)(
    'disk full during a run: a clear message, the last good manifest kept; resume after freeing space loses and repeats nothing',
    async () => {
      const p = project('diskfull');
      const state = join(p.dir, '.state');
      mkdirSync(state);
      const disk = mountSmallDisk('8m', state);
      cleanups.push(disk.unmount);
      p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4, 8, 16, 32], cycles: 2, seconds: 0.4 }));
      const child = p.spawn(['campaign', 'run', 'c.yaml']);
      let out = '';
      let errText = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      await waitForOutput(child, (t) => (t.match(/ completed in /g) ?? []).length >= 2, 90_000);
      const filler = fillDisk(state);
      const code = await exited;
      const id = campaignIdFrom(out);

      expect(code, errText).toBe(1);
      expect(errText).toMatch(/LEM023: cannot write \S+: disk full \(ENOSPC\)/);
      expect(errText).not.toMatch(/\n\s+at /); // no stack trace
      const dir = join(state, 'campaigns', id);
      JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')); // the last good snapshot, whole
      const before = manifestOf(p.dir, id);
      const completedBefore = before.experiments.filter((e) => e.status === 'completed');
      expect(completedBefore.length).toBeGreaterThanOrEqual(2);
      expect(completedBefore.length).toBeLessThan(12);
      const mtimes = new Map(completedBefore.map((e) => [e.id, statSync(join(p.dir, e.result_path!)).mtimeMs]));

      rmSync(filler, { recursive: true });
      const r = await p.lem(['campaign', 'resume', id], { timeoutMs: 180_000 });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expectEachCompletedOnce(p, id);
      for (const e of completedBefore) expect(statSync(join(p.dir, e.result_path!)).mtimeMs).toBe(mtimes.get(e.id));
    },
  );

  it.runIf(canMount)(
    'a read-only campaign folder: resume names the lock it cannot take and why, and changes nothing',
    async () => {
      const p = project('rofolder');
      p.write('c.yaml', syntheticCampaign({ sizes: [1] }));
      const first = await p.lem(['campaign', 'run', 'c.yaml'], { timeoutMs: 120_000 });
      expect(first.code, first.stderr).toBe(0);
      const id = campaignIdFrom(first.stdout);
      const dir = join(p.dir, '.state', 'campaigns', id);
      const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
      const bind = (args: string[]) => expect(spawnSync('mount', args, { encoding: 'utf8' }).status).toBe(0);
      bind(['--bind', dir, dir]);
      bind(['-o', 'remount,bind,ro', dir]);
      cleanups.push(() => void spawnSync('umount', ['-l', dir]));
      const r = await p.lem(['campaign', 'resume', id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/LEM023: cannot take the lock: cannot write \S+\/lock: read-only file system \(EROFS\)/);
      expect(r.stderr).not.toContain('LEM099');
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe(journal);
    },
  );

  it('kill -9, then an immediate resume while the killed orchestrator is still a zombie', async () => {
    const p = project('zombie');
    p.write('c.yaml', syntheticCampaign({ sizes: [1, 2, 4, 8], seconds: 0.5 }));
    // The wrapper forks lem and never waits for it: once killed, lem stays a zombie for as long as the wrapper
    // lives (the test process itself would reap it: Node reaps its children).
    const log = join(p.dir, 'run.log');
    const wrapper = spawn(
      'python3',
      [
        '-c',
        'import os,sys,time\nfd=os.open(sys.argv[1], os.O_WRONLY|os.O_CREAT, 0o644)\npid=os.fork()\nif pid==0:\n  os.dup2(fd,1); os.dup2(fd,2); os.execv(sys.argv[2], sys.argv[2:])\nprint(pid, flush=True)\ntime.sleep(600)',
        log,
        process.execPath,
        LEM_BIN,
        'campaign',
        'run',
        'c.yaml',
      ],
      { cwd: p.dir, env: p.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => void wrapper.kill('SIGKILL'));
    const pid = await new Promise<number>((r) =>
      wrapper.stdout.once('data', (d: Buffer) => r(Number(String(d).trim()))),
    );
    const deadline = Date.now() + 90_000;
    while ((readLog(log).match(/ completed in /g) ?? []).length < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (readProcStat(pid) as { state?: string }).state !== 'Z'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(readProcStat(pid)).toMatchObject({ state: 'Z' });
    const id = campaignIdFrom(readLog(log));
    expect(JSON.parse(readFileSync(join(p.dir, '.state', 'campaigns', id, 'lock'), 'utf8'))).toMatchObject({ pid });

    const r = await p.lem(['campaign', 'resume', id], { timeoutMs: 180_000 });
    expect(readProcStat(pid)).toMatchObject({ state: 'Z' }); // still a zombie all along
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr + r.stdout).not.toContain('is being run by PID');
    expectEachCompletedOnce(p, id);
  });
});

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
