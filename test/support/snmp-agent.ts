import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getWatts, openSession, type SnmpTarget } from '../../src/meters/snmp.js';

/**
 * A real SNMP agent (Debian's snmpd, `-f` in the foreground) on 127.0.0.1 at a free high UDP port, serving through a
 * `pass_persist` script one integer OID whose value (deciwatts, as many PDUs report) the test changes with serve().
 */
export const AGENT_OID = '.1.3.6.1.4.1.99999.1.1';

export interface SnmpAgent {
  readonly port: number;
  /** Writes the served value atomically, so the script never reads a half-written file. */
  serve(value: number): void;
  log(): string;
  /** Stops the agent (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  readonly process: ChildProcess;
}

/** A UDP port on 127.0.0.1 that was free a moment ago (for an agent, or for one nobody answers on). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const p = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

function passPersistScript(dir: string, valueFile: string): string {
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
      `    get) read -r oid; if [ "$oid" = "${AGENT_OID}" ]; then echo "$oid"; echo integer; cat "${valueFile}"; else echo NONE; fi ;;`,
      '    getnext) read -r oid; echo NONE ;;',
      '    set) read -r oid; read -r value; echo not-writable ;;',
      '    *) exit 0 ;;',
      '  esac',
      'done',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

export async function startSnmpAgent(dir: string, community: string, initial: number): Promise<SnmpAgent> {
  const valueFile = join(dir, 'value');
  const serve = (value: number): void => {
    writeFileSync(`${valueFile}.tmp`, `${value}\n`);
    renameSync(`${valueFile}.tmp`, valueFile);
  };
  serve(initial);
  const script = passPersistScript(dir, valueFile);
  // The agent writes its persistent state (a file also named snmpd.conf) on exit: keep it apart from ours.
  mkdirSync(join(dir, 'state'), { recursive: true });
  writeFileSync(
    join(dir, 'agent.conf'),
    `rocommunity ${community} 127.0.0.1\npass_persist .1.3.6.1.4.1.99999.1 ${script}\n`,
  );
  const port = await freeUdpPort();
  const agent = spawn(
    '/usr/sbin/snmpd',
    ['-f', '-Lo', '-C', '-c', join(dir, 'agent.conf'), '-M', '/dev/null', '-m', '', `udp:127.0.0.1:${port}`],
    { env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'state') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  agent.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  agent.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (agent.exitCode !== null || agent.signalCode !== null) return;
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
  };
  const probe: SnmpTarget = {
    host: '127.0.0.1',
    port,
    oid: AGENT_OID,
    communityEnv: 'unused',
    scale: 1,
    domain: 'probe',
    timeoutMs: 200,
    retries: 0,
  };
  // Ready when it answers a GET.
  const session = openSession(probe, community);
  try {
    for (let i = 0; i < 50; i++) {
      if ((await getWatts(session, probe)).ok) return { port, serve, log: () => log, stop, process: agent };
      if (agent.exitCode !== null) break;
      await sleep(100);
    }
  } finally {
    session.close();
  }
  await stop();
  throw new Error(`snmpd did not come up on 127.0.0.1:${port}:\n${log}`);
}
