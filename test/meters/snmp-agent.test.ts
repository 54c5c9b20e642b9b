import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { startSnmpPoller } from '../../src/meters/snmp-poller.js';
import type { SnmpTarget } from '../../src/meters/snmp.js';
import { AGENT_OID, freeUdpPort, startSnmpAgent, type SnmpAgent } from '../support/snmp-agent.js';
import { windowEnergy } from '../../src/meters/window-energy.js';

/**
 * A real SNMP agent (Debian's snmpd) on 127.0.0.1 at a free high UDP port, serving a power value (in deciwatts, as
 * many PDUs report) that the test changes while lem polls it (test/support/snmp-agent.ts).
 */
const OID = AGENT_OID;
const COMMUNITY = 'lem-test-community';
const env = { LEM_TEST_PDU_COMMUNITY: COMMUNITY, LEM_TEST_WRONG_COMMUNITY: 'not-the-community' };
const dir = mkdtempSync(join(tmpdir(), 'lem-snmpd-'));
let agent: SnmpAgent;
let port = 0;
const serve = (deciwatts: number): void => agent.serve(deciwatts);
const stopAgent = (): Promise<void> => agent.stop();

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
  agent = await startSnmpAgent(dir, COMMUNITY, 1000);
  port = agent.port;
}, 20_000);

afterAll(async () => {
  await agent?.stop();
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
