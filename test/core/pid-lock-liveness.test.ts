import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, holderAlive, inspectLock, lockPathIn } from '../../src/core/pid-lock.js';
import { parseProcStat, readProcStat } from '../../src/core/proc-stat.js';

const lockPath = () => lockPathIn(join(mkdtempSync(join(tmpdir(), 'lem-lock-')), 'campaign'));
const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

/**
 * A real zombie: a python parent forks a child that exits at once, and the parent never reaps it (it sleeps).
 * Node reaps its own children, so the zombie must be a grandchild. Resolves the zombie's PID.
 */
async function zombie(): Promise<number> {
  const parent = spawn(
    'python3',
    ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  stops.push(() => parent.kill('SIGKILL'));
  const pid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  for (let i = 0; i < 100; i++) {
    const s = readProcStat(pid);
    if (typeof s === 'object' && s.state === 'Z') return pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`process ${pid} did not become a zombie`);
}

describe('/proc/<pid>/stat', () => {
  it('is parsed from the last parenthesis: command names may hold spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    expect(parseProcStat(`123 (a) b (c)) ${fields.join(' ')}`)).toEqual({ state: 'Z', startTime: '22' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('says gone for a process that does not exist, and gives this one a start time', () => {
    expect(readProcStat(2 ** 22 + 1)).toBe('gone');
    expect(readProcStat(process.pid)).toMatchObject({
      state: expect.stringMatching(/^[RS]$/),
      startTime: expect.stringMatching(/^\d+$/),
    });
  });
});

describe('lock holder liveness', () => {
  it('a zombie holds no lock: it is taken over', async () => {
    const pid = await zombie();
    const file = lockPath();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z' }) + '\n');
    // The kernel still answers signal 0 for a zombie: this is what used to make the lock look held.
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(inspectLock(file)).toMatchObject({ kind: 'stale', owner: { pid } });
    const r = acquireLock(file);
    expect(r.ok && r.value.tookOverFrom).toMatchObject({ pid });
  });

  it('a live process that reused the PID is not the holder (its start time differs)', () => {
    const file = lockPath();
    mkdirSync(dirname(file), { recursive: true });
    // The parent of this test lives, but the lock records another start time: the holder was an earlier process.
    writeFileSync(
      file,
      JSON.stringify({ pid: process.ppid, started_at: '2026-01-01T00:00:00.000Z', proc_start: '1' }) + '\n',
    );
    expect(inspectLock(file).kind).toBe('stale');
    expect(acquireLock(file).ok).toBe(true);
  });

  it('records the holder start time, and a live holder with that start time holds the lock', () => {
    const file = lockPath();
    const held = acquireLock(file, process.ppid);
    expect(held.ok).toBe(true);
    const owner = JSON.parse(readFileSync(file, 'utf8'));
    const stat = readProcStat(process.ppid);
    expect(typeof stat === 'object' && owner.proc_start).toBe(typeof stat === 'object' ? stat.startTime : false);
    expect(holderAlive(owner)).toBe(true);
    expect(acquireLock(file)).toMatchObject({ ok: false, error: { code: 'LEM021' } });
  });

  it('an old lock without a start time still counts a live PID as the holder', () => {
    expect(holderAlive({ pid: process.ppid, started_at: 'x' })).toBe(true);
  });
});
