import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { startSnmpPoller } from '../../src/meters/snmp-poller.js';
import { getWatts, openSession, type SnmpTarget } from '../../src/meters/snmp.js';
import { windowEnergy } from '../../src/meters/window-energy.js';

/**
 * A real SNMP agent (Debian's snmpd) on 127.0.0.1 at a free high UDP port, serving through a `pass` script a
 * power value (in deciwatts, as many PDUs report) that the test changes while lem polls it.
 */
const OID = '.1.3.6.1.4.1.99999.1.1';
const COMMUNITY = 'lem-test-community';
const env = { LEM_TEST_PDU_COMMUNITY: COMMUNITY, LEM_TEST_WRONG_COMMUNITY: 'not-the-community' };
const dir = mkdtempSync(join(tmpdir(), 'lem-snmpd-'));
const valueFile = join(dir, 'value');
let agent: ChildProcess | undefined;
let agentLog = '';
let port = 0;

/** Writes the served value atomically, so the pass script never reads a half-written file. */
function serve(deciwatts: number): void {
  writeFileSync(`${valueFile}.tmp`, `${deciwatts}\n`);
  renameSync(`${valueFile}.tmp`, valueFile);
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const p = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

const target = (over: Partial<SnmpTarget> = {}): SnmpTarget => ({
  host: '127.0.0.1',
  port,
  oid: OID,
  communityEnv: 'LEM_TEST_PDU_COMMUNITY',
  scale: 0.1,
  domain: 'pdu:outlet-1',
  timeoutMs: 500,
  retries: 0,
  ...over,
});

beforeAll(async () => {
  serve(1000);
  const script = join(dir, 'pass-persist.sh');
  // snmpd's pass_persist protocol (snmpd caches a plain `pass` script's output): PING → PONG; "get" then
  // an OID → the OID, its type and the value, or NONE.
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'while read -r cmd; do',
      '  case "$cmd" in',
      '    PING) echo PONG ;;',
      `    get) read -r oid; if [ "$oid" = "${OID}" ]; then echo "$oid"; echo integer; cat "${valueFile}"; else echo NONE; fi ;;`,
      '    getnext) read -r oid; echo NONE ;;',
      '    set) read -r oid; read -r value; echo not-writable ;;',
      '    *) exit 0 ;;',
      '  esac',
      'done',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  // The agent writes its persistent state (a file also named snmpd.conf) on exit: keep it apart from ours.
  mkdirSync(join(dir, 'state'));
  writeFileSync(
    join(dir, 'agent.conf'),
    `rocommunity ${COMMUNITY} 127.0.0.1\npass_persist .1.3.6.1.4.1.99999.1 ${script}\n`,
  );
  port = await freeUdpPort();
  agent = spawn(
    '/usr/sbin/snmpd',
    ['-f', '-Lo', '-C', '-c', join(dir, 'agent.conf'), '-M', '/dev/null', '-m', '', `udp:127.0.0.1:${port}`],
    {
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'state') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  agent.stdout?.on('data', (d: Buffer) => (agentLog += d.toString()));
  agent.stderr?.on('data', (d: Buffer) => (agentLog += d.toString()));
  // Ready when it answers a GET.
  const session = openSession(target({ timeoutMs: 200 }), COMMUNITY);
  try {
    for (let i = 0; i < 50; i++) {
      if ((await getWatts(session, target({ timeoutMs: 200 }))).ok) return;
      if (agent.exitCode !== null) break;
      await sleep(100);
    }
  } finally {
    session.close();
  }
  throw new Error(`snmpd did not come up on 127.0.0.1:${port}:\n${agentLog}`);
}, 20_000);

async function stopAgent(): Promise<void> {
  if (!agent || agent.exitCode !== null || agent.signalCode !== null) return;
  const exited = new Promise((resolve) => agent!.once('exit', resolve));
  agent.kill('SIGTERM');
  await exited;
}

afterAll(async () => {
  await stopAgent();
  rmSync(dir, { recursive: true, force: true });
});

describe('SNMP PDU poller against a real snmpd', () => {
  it("samples the changing outlet power on lem's clock, scaled to watts, and integrates the window", async () => {
    const now = () => performance.timeOrigin / 1000 + performance.now() / 1000;
    const started = await startSnmpPoller(target(), 40, { env, now });
    expect(started.ok, started.ok ? '' : started.error.message).toBe(true);
    if (!started.ok) return;
    const t0 = now();
    await sleep(500);
    serve(2500);
    const tStep1 = now();
    await sleep(500);
    serve(1500);
    const tStep2 = now();
    await sleep(500);
    const t1 = now();
    const stopped = await started.value.stop();
    expect(stopped.ok, stopped.ok ? '' : stopped.error.message).toBe(true);
    if (!stopped.ok) return;
    const samples = stopped.value;
    expect(samples.length).toBeGreaterThan(15);
    expect(samples.every((s) => s.domain === 'pdu:outlet-1')).toBe(true);
    // Every reading is one of the served values, in watts, and each appears (no zero, no stale value).
    const served = new Set(samples.map((s) => s.watts));
    expect([...served].sort()).toEqual([100, 150, 250]);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.t).toBeGreaterThan(samples[i - 1]!.t);
    expect(samples.filter((s) => s.t < tStep1 - 0.05).every((s) => s.watts === 100)).toBe(true);
    expect(samples.filter((s) => s.t > tStep1 + 0.05 && s.t < tStep2 - 0.05).every((s) => s.watts === 250)).toBe(true);
    expect(samples.filter((s) => s.t > tStep2 + 0.05).every((s) => s.watts === 150)).toBe(true);

    const e = windowEnergy('pdu:outlet-1', samples, t0, t1, { source: 'snmp' });
    // Coverage is what the timer achieved on this (shared, loaded) machine; the default 75 % minimum holds.
    expect(e.invalid, JSON.stringify(e)).toBeNull();
    expect(e.method).toBe('integral');
    const truth = 100 * (tStep1 - t0) + 250 * (tStep2 - tStep1) + 150 * (t1 - tStep2);
    // The trapezoid rule is exact on flat stretches; across each step it can miss at most the step's size
    // times the gap between the samples that straddle it.
    const gapAround = (t: number) => {
      const after = samples.findIndex((s) => s.t > t);
      return samples[after]!.t - samples[after - 1]!.t;
    };
    const bound = 150 * gapAround(tStep1) + 100 * gapAround(tStep2);
    expect(Math.abs(e.joules! - truth)).toBeLessThanOrEqual(bound);
  });

  it('a wrong community gets no answer: a clear error naming host, port, OID and the variable', async () => {
    const r = await startSnmpPoller(target({ communityEnv: 'LEM_TEST_WRONG_COMMUNITY', timeoutMs: 300 }), 100, { env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.METER_UNREADABLE);
    expect(r.error.message).toBe(`SNMP agent 127.0.0.1:${port} OID ${OID}: no answer within 300 ms (1 try)`);
    expect(r.error.hint).toContain('LEM_TEST_WRONG_COMMUNITY');
    expect(JSON.stringify(r.error)).not.toContain('not-the-community');
  });

  it('a dead port: the same clear error for that port', async () => {
    const dead = await freeUdpPort();
    const r = await startSnmpPoller(target({ port: dead, timeoutMs: 200, retries: 1 }), 100, { env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe(`SNMP agent 127.0.0.1:${dead} OID ${OID}: no answer within 200 ms (2 tries)`);
  });

  it('an OID the agent does not have is named, with what to check', async () => {
    const r = await startSnmpPoller(target({ oid: '.1.3.6.1.4.1.99999.1.7' }), 100, { env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(`127.0.0.1:${port} OID .1.3.6.1.4.1.99999.1.7: NoSuch`);
    expect(r.error.hint).toContain('check the OID');
  });

  it('an unset community variable fails before any request, naming the variable', async () => {
    const r = await startSnmpPoller(target({ communityEnv: 'LEM_TEST_UNSET_VARIABLE' }), 100, { env });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(r.error.message).toContain('environment variable LEM_TEST_UNSET_VARIABLE');
  });

  // Last: it stops the agent.
  it('an agent that dies while polled ends polling with an error at stop, never zeros', async () => {
    const started = await startSnmpPoller(target({ timeoutMs: 200 }), 40, { env });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    await sleep(200);
    await stopAgent();
    await sleep(600);
    const before = started.value.samples().length;
    await sleep(200);
    // Polling stopped at the first unanswered request: no more samples, none of them zero.
    expect(started.value.samples().length).toBe(before);
    expect(started.value.samples().every((s) => s.watts === 100 || s.watts === 150)).toBe(true);
    const stopped = await started.value.stop();
    expect(stopped.ok).toBe(false);
    if (stopped.ok) return;
    expect(stopped.error.message).toContain(`127.0.0.1:${port} OID ${OID}: no answer within 200 ms`);
  });
});
