import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/campaign/manifest.js';
import { ResultDocument } from '../../src/contract/result.js';
import { DaemonState } from '../../src/daemon/state.js';
import { collect, syntheticCampaign, TestProject, waitForOutput, type LemRun } from '../support/lem-project.js';
import { manifestOf as readManifest } from '../support/manifest-of.js';

// Real clock (second-resolution cron), real daemon processes, real Docker with the synthetic engine.

const projects: TestProject[] = [];
const children: ChildProcess[] = [];
const project = (label: string) => {
  const p = new TestProject(label);
  mkdirSync(join(p.dir, 'campaigns'));
  projects.push(p);
  return p;
};

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of projects.splice(0)) await p.cleanup();
});

beforeAll(async () => {
  await new Docker().getImage('lem/synthetic:latest').inspect(); // built by scripts/build-images.sh (.ci/run)
});

function scheduled(o: {
  name: string;
  cron: string;
  maxCycles: number;
  overlap?: 'skip' | 'queue';
  sizes: number[];
  seconds?: number;
}): string {
  const overlap = o.overlap ? `, overlap: ${o.overlap}` : '';
  return syntheticCampaign({
    name: o.name,
    sizes: o.sizes,
    seconds: o.seconds ?? 0,
    extra: `schedule: {cron: "${o.cron}", max_cycles: ${o.maxCycles}${overlap}}\n`,
  });
}

/** A running daemon: the process, its collected output, and its exit. */
function startDaemon(p: TestProject): { child: ChildProcess; done: Promise<LemRun>; output: () => string } {
  const child = p.spawn(['daemon']);
  children.push(child);
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return { child, done: collect(child, 170_000), output: () => text };
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, 'g')) ?? []).length;

function daemonState(p: TestProject): DaemonState {
  return DaemonState.parse(JSON.parse(readFileSync(join(p.dir, '.state', 'daemon', 'state.json'), 'utf8')));
}

function campaignIdOf(p: TestProject, name: string): string {
  const r = Object.values(daemonState(p).campaigns).find((c) => c.name === name);
  if (!r) throw new Error(`no daemon record for ${name}`);
  return r.campaign_id;
}

function manifestOf(p: TestProject, id: string): Manifest {
  return readManifest(p.dir, id);
}

/** Every experiment completed, with exactly one result folder each and nothing else in the campaign's results. */
function expectEachCompletedOnce(p: TestProject, id: string, cycles: number[]): Manifest {
  const m = manifestOf(p, id);
  expect(m.experiments.map((e) => e.cycle)).toEqual(cycles);
  expect(new Set(m.experiments.map((e) => e.id)).size).toBe(m.experiments.length);
  for (const e of m.experiments) {
    expect(e.status).toBe('completed');
    const doc = ResultDocument.parse(JSON.parse(readFileSync(join(p.dir, e.result_path!), 'utf8')));
    expect(doc.experiment).toMatchObject({ campaign_id: id, experiment_id: e.id, cycle: e.cycle });
  }
  expect(readdirSync(join(p.dir, 'results', id)).sort()).toEqual(m.experiments.map((e) => e.id).sort());
  return m;
}

/** Milliseconds between the timestamps of the first lines matching a and b in the daemon's log. */
function gapMs(log: string, a: RegExp, b: RegExp): number {
  const at = (re: RegExp) => {
    const line = log.split('\n').find((l) => re.test(l));
    if (!line) throw new Error(`no line matching ${re} in:\n${log}`);
    return Date.parse(line.slice(0, 24));
  };
  return at(b) - at(a);
}

describe('lem daemon against a real clock and a real Docker engine', { timeout: 180_000 }, () => {
  it('refuses bad schedules at start with file, line and expression (exit 2), before taking the lock', async () => {
    const p = project('dbad');
    p.write('campaigns/ok.yaml', scheduled({ name: 'fine', cron: '*/3 * * * * *', maxCycles: 1, sizes: [1] }));
    p.write(
      'campaigns/bad.yaml',
      syntheticCampaign({
        name: 'bad',
        extra: 'schedule:\n  cron: ["0 0 2 * * *", "0 0 25 * * *"]\n  timezone: Nowhere/Land\n',
      }),
    );
    const r = await p.lem(['daemon'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LEM002: .*bad\.yaml: 2 problems/);
    expect(r.stderr).toMatch(
      /campaigns\/bad\.yaml:14:\d+: schedule\.cron\[1\]: invalid cron expression "0 0 25 \* \* \*": hour must be 0-23, got 25/,
    );
    expect(r.stderr).toMatch(/campaigns\/bad\.yaml:15:\d+: schedule\.timezone: unknown time zone "Nowhere\/Land"/);
    expect(existsSync(join(p.dir, '.state', 'daemon', 'lock'))).toBe(false);
  });

  it('runs two scheduled campaigns for max_cycles cycles each, then exits 0; refuses a second daemon; takes over a stale lock', async () => {
    const p = project('dtwo');
    p.write('campaigns/a.yaml', scheduled({ name: 'alpha', cron: '*/3 * * * * *', maxCycles: 2, sizes: [1, 2] }));
    p.write('campaigns/b.yaml', scheduled({ name: 'beta', cron: '*/3 * * * * *', maxCycles: 2, sizes: [4] }));
    p.write('campaigns/plain.yaml', syntheticCampaign({ name: 'unscheduled' }));
    // A lock left by a daemon that died: its PID belonged to a process that has exited.
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );
    mkdirSync(join(p.dir, '.state', 'daemon'), { recursive: true });
    writeFileSync(
      join(p.dir, '.state', 'daemon', 'lock'),
      JSON.stringify({ pid: dead, started_at: '2026-01-01T00:00:00.000Z' }),
    );

    const d = startDaemon(p);
    await waitForOutput(d.child, (t) => count(t, /next run \d{4}-/) >= 2, 30_000);
    expect(d.output()).toContain(`took over a stale lock of PID ${dead}`);
    const lock = JSON.parse(readFileSync(join(p.dir, '.state', 'daemon', 'lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(d.child.pid);

    const second = await p.lem(['daemon'], { timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`LEM021: another lem daemon \\(PID ${d.child.pid}\\b`));

    const running = await p.lem(['daemon', 'status', '--json']);
    expect(JSON.parse(running.stdout)).toMatchObject({ running: true, pid: d.child.pid });

    // Every campaign reaches max_cycles: nothing is left to schedule, so the daemon ends by itself.
    const r = await d.done;
    expect(r.code, d.output()).toBe(0);
    const log = d.output();
    expect(count(log, /: cycle 2 completed/)).toBe(2);
    expect(log).not.toMatch(/cycle 3/);
    expect(count(log, /max_cycles 2 reached: this is the last cycle/)).toBe(2);
    expect(log).not.toContain('unscheduled');

    const alpha = campaignIdOf(p, 'alpha');
    const beta = campaignIdOf(p, 'beta');
    expectEachCompletedOnce(p, alpha, [1, 1, 2, 2]);
    expectEachCompletedOnce(p, beta, [1, 2]);

    const status = await p.lem(['daemon', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      running: boolean;
      pid: number;
      campaigns: { name: string; campaign_id: string; cycles: number; last_outcome: string; next_run: string | null }[];
    };
    expect(s).toMatchObject({ running: false });
    expect(s.campaigns.map((c) => [c.name, c.campaign_id, c.cycles, c.last_outcome, c.next_run]).sort()).toEqual([
      ['alpha', alpha, 2, 'completed', null],
      ['beta', beta, 2, 'completed', null],
    ]);

    expect(existsSync(join(p.dir, '.state', 'daemon', 'lock'))).toBe(false);
    expect(readFileSync(join(p.dir, '.state', 'daemon', 'daemon.log'), 'utf8')).toMatch(
      /every scheduled campaign has run its max_cycles cycles\n.*nothing left to schedule: stopping\n.*daemon stopped; lock released\n$/,
    );
    const after = await p.lem(['daemon', 'status']);
    expect(after.stdout).toMatch(/^daemon: not running/);
    expect(after.stdout).toMatch(/alpha +\S+ +2\/2 .* completed/);
    expect(await p.containers()).toEqual([]);
  });

  it('kill -9 mid-cycle, restart: the cycle is resumed first; SIGTERM mid-cycle: interrupted, exit 0, resumed next start; nothing lost or repeated', async () => {
    const p = project('dkill');
    p.write(
      'campaigns/k.yaml',
      scheduled({ name: 'killme', cron: '*/2 * * * * *', maxCycles: 2, sizes: [1, 2, 4], seconds: 1.5 }),
    );
    const first = startDaemon(p);
    await waitForOutput(first.child, (t) => / completed in /.test(t) && count(t, / started\n/) >= 2, 60_000);
    first.child.kill('SIGKILL');
    await first.done;
    const id = campaignIdOf(p, 'killme');
    const before = manifestOf(p, id);
    expect(before.experiments.map((e) => e.cycle)).toEqual([1, 1, 1]);
    const completedBefore = before.experiments.filter((e) => e.status === 'completed');
    expect(completedBefore.length).toBeGreaterThanOrEqual(1);
    expect(completedBefore.length).toBeLessThan(3);
    const mtimes = new Map(completedBefore.map((e) => [e.id, statSync(join(p.dir, e.result_path!)).mtimeMs]));

    // The dead daemon's lock is stale now; the restart takes it over and finishes cycle 1 before cycle 2.
    const second = startDaemon(p);
    await waitForOutput(second.child, (t) => /cycle 2 of 2 starts[^]*\[\d\/6\] \S+ started\n/.test(t), 90_000);
    second.child.kill('SIGTERM');
    expect((await second.done).code, second.output()).toBe(0);
    const log2 = second.output();
    expect(log2).toMatch(new RegExp(`took over a stale lock of PID ${first.child.pid}`));
    expect(log2).toMatch(new RegExp(`killme: resuming cycle 1 of campaign ${id}`));
    expect(log2.indexOf('resuming cycle 1')).toBeLessThan(log2.indexOf('cycle 2 of 2 starts'));
    expect(log2).toMatch(/killme: cycle 2 interrupted .*; it resumes when the daemon starts again/);
    expect(existsSync(join(p.dir, '.state', 'daemon', 'lock'))).toBe(false);
    const mid = manifestOf(p, id);
    expect(mid.status).toBe('interrupted');
    expect(mid.experiments.filter((e) => e.cycle === 1).every((e) => e.status === 'completed')).toBe(true);
    expect(mid.experiments.filter((e) => e.status === 'interrupted')).toHaveLength(1);

    // Third start: cycle 2 is resumed, and no third cycle is added (max_cycles 2).
    const third = startDaemon(p);
    await waitForOutput(third.child, (t) => /: cycle 2 completed/.test(t), 60_000);
    expect(third.output()).toMatch(new RegExp(`killme: resuming cycle 2 of campaign ${id}`));
    expect(campaignIdOf(p, 'killme')).toBe(id); // the same long-lived campaign throughout
    const m = expectEachCompletedOnce(p, id, [1, 1, 1, 2, 2, 2]);
    for (const e of completedBefore) {
      expect(statSync(join(p.dir, e.result_path!)).mtimeMs).toBe(mtimes.get(e.id));
      expect(m.experiments.find((x) => x.id === e.id)!.attempts).toBe(e.attempts);
    }
    // With every campaign at max_cycles and nothing left, the daemon stops by itself (exit 0), no signal needed.
    expect((await third.done).code, third.output()).toBe(0);
    expect(third.output()).toMatch(/every scheduled campaign has run its max_cycles cycles/);
    if (process.env['LEM_TEST_SHOW']) console.log(first.output(), '\n-----\n', log2, '\n-----\n', third.output());
    expect(await p.containers()).toEqual([]);
  });

  it('overlap: skip drops ticks that come while a cycle runs; queue runs the next cycle as soon as it ends', async () => {
    // A cycle of ~5 s against a 2 s period; the two daemons (two projects) run side by side to save time.
    const ps = project('dskip');
    const pq = project('dqueue');
    ps.write(
      'campaigns/s.yaml',
      scheduled({ name: 'skipper', cron: '*/2 * * * * *', maxCycles: 2, overlap: 'skip', sizes: [1], seconds: 3.5 }),
    );
    pq.write(
      'campaigns/q.yaml',
      scheduled({ name: 'queuer', cron: '*/2 * * * * *', maxCycles: 3, overlap: 'queue', sizes: [1], seconds: 3.5 }),
    );
    const ds = startDaemon(ps);
    const dq = startDaemon(pq);
    await Promise.all([
      waitForOutput(ds.child, (t) => /: cycle 2 completed/.test(t), 90_000),
      waitForOutput(dq.child, (t) => /: cycle 3 completed/.test(t), 90_000),
    ]);
    ds.child.kill('SIGTERM');
    dq.child.kill('SIGTERM');
    expect((await ds.done).code).toBe(0);
    expect((await dq.done).code).toBe(0);

    const skip = ds.output();
    expect(skip).toMatch(/skipper: tick "\*\/2 \* \* \* \* \*" skipped: cycle 1 is still running \(overlap: skip\)/);
    // The next cycle waits for a fresh tick after the running one ends: nothing was kept from the skipped ticks.
    expect(skip).toMatch(/skipper: tick "[^"]+": cycle 2 starts/);
    expect(skip).not.toMatch(/queued/);
    expectEachCompletedOnce(ps, campaignIdOf(ps, 'skipper'), [1, 2]);

    const queue = dq.output();
    expect(queue).toMatch(/queuer: tick "[^"]+" queued: cycle 2 runs when cycle 1 finishes \(overlap: queue\)/);
    expect(queue).toMatch(
      /queuer: tick "[^"]+" merged into the cycle already queued: cycle 1 is still running \(overlap: queue\)/,
    );
    expect(queue).toMatch(/queuer: cycle 2 of 3 starts: .*\(queued by tick/);
    expect(queue).not.toMatch(/skipped/);
    // The queued cycle starts right after the running one ends, not at the next tick.
    expect(gapMs(queue, /queuer: cycle 1 completed/, /queuer: cycle 2 of 3 starts/)).toBeLessThan(1000);
    expectEachCompletedOnce(pq, campaignIdOf(pq, 'queuer'), [1, 2, 3]);
  });
});
