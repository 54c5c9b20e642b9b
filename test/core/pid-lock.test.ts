import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, inspectLock, releaseLock } from '../../src/core/pid-lock.js';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'lem-lock-')), 'daemon', 'lock');

/** The PID of a process that has exited: a real dead owner, not a guessed number. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('daemon lock', () => {
  it('is created with the owner PID and released only by its owner', () => {
    const file = lockPath();
    const a = acquireLock(file);
    expect(a.ok && a.value.tookOverFrom).toBeUndefined();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(inspectLock(file)).toMatchObject({ kind: 'held', owner: { pid: process.pid } });
    expect(releaseLock(file, process.pid + 1)).toEqual({ ok: true, value: false });
    expect(existsSync(file)).toBe(true);
    expect(releaseLock(file)).toEqual({ ok: true, value: true });
    expect(existsSync(file)).toBe(false);
    expect(inspectLock(file)).toEqual({ kind: 'free' });
  });

  it('refuses a second owner while the holder lives, naming its PID', () => {
    const file = lockPath();
    // The parent of this test process is alive for sure, and is not us.
    const holder = acquireLock(file, process.ppid);
    expect(holder.ok).toBe(true);
    const second = acquireLock(file);
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.error.code).toBe('LEM021');
    expect(second.error.exitCode).toBe(1);
    expect(second.error.message).toContain(`PID ${process.ppid}`);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.ppid);
  });

  it('takes over a stale lock whose owner process is gone, and says whose it was', () => {
    const file = lockPath();
    const dead = deadPid();
    expect(acquireLock(file, dead).ok).toBe(true);
    expect(inspectLock(file)).toMatchObject({ kind: 'stale', owner: { pid: dead } });
    const r = acquireLock(file);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.tookOverFrom).toMatchObject({ pid: dead });
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
  });

  it('takes over a lock naming its own PID: a dead daemon that had the same PID (a restarted container reuses PIDs)', () => {
    const file = lockPath();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: process.pid, started_at: '2026-01-01T00:00:00.000Z' }) + '\n');
    const r = acquireLock(file);
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (!r.ok) return;
    expect(r.value.tookOverFrom).toEqual({ pid: process.pid, started_at: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      started_at: r.value.owner.started_at,
    });
  });

  it('treats content that names no owner as stale', () => {
    const file = lockPath();
    expect(acquireLock(file).ok).toBe(true);
    writeFileSync(file, 'garbage');
    const r = acquireLock(file);
    expect(r.ok && r.value.tookOverFrom).toBe('unreadable');
  });
});
