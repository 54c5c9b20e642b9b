import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Result } from '../core/result.js';
import { discoverRapl, type RaplZone } from './rapl.js';

/** What `lem doctor` found out about the meters `measurement.sources` can name on this machine. */
export interface SourceProbes {
  readonly platform: NodeJS.Platform;
  readonly raplRoot: string;
  readonly rapl: Result<readonly RaplZone[]>;
  /** null when the SNMP library loads, else why not. */
  readonly netSnmpError: string | null;
  /** Absolute paths found on PATH, or null. */
  readonly nvidiaSmi: string | null;
  readonly powermetrics: string | null;
}

export interface SourceCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Every meter beyond the GPU is optional: lem measures without them. */
  readonly optional: true;
}

const SMI_QUERY = '--query-gpu=timestamp,index,power.draw,power.draw.instant --format=csv -lms 100';

/** One line per source kind: readable here or why not (pure: the probing is probeSources). */
export function sourceChecks(p: SourceProbes): SourceCheck[] {
  const check = (name: string, ok: boolean, detail: string): SourceCheck => ({ name, ok, detail, optional: true });
  const rapl = p.rapl.ok
    ? check('source rapl', true, `readable at ${p.raplRoot}: ${p.rapl.value.map((z) => z.domain).join(', ')}`)
    : check('source rapl', false, `${p.rapl.error.message}${p.rapl.error.hint ? ` (${p.rapl.error.hint})` : ''}`);
  const snmp =
    p.netSnmpError === null
      ? check('source snmp', true, 'SNMP library loads; an agent is checked when a config names it (host, port, OID)')
      : check('source snmp', false, `SNMP library does not load: ${p.netSnmpError}`);
  const pm =
    p.platform !== 'darwin'
      ? check('source powermetrics', false, `macOS only (this is ${p.platform}); powermetrics-log imports a Mac's log`)
      : p.powermetrics
        ? check('source powermetrics', true, `${p.powermetrics} (needs sudo), or import its output: powermetrics-log`)
        : check('source powermetrics', false, 'powermetrics not on PATH');
  const smi = p.nvidiaSmi
    ? check('source nvidia-smi', true, `${p.nvidiaSmi}: log with ${SMI_QUERY}`)
    : check('source nvidia-smi', false, 'nvidia-smi not on PATH (nvidia-smi-log still imports a log from elsewhere)');
  const logs = check('source logs', true, 'dcgm-log, nvidia-smi-log, powermetrics-log, csv: need only the file');
  return [rapl, snmp, pm, smi, logs];
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this directory: look in the next one.
    }
  }
  return null;
}

export async function probeSources(
  raplRoot: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SourceProbes> {
  let netSnmpError: string | null = null;
  try {
    await import('net-snmp');
  } catch (e) {
    netSnmpError = (e as Error).message;
  }
  return {
    platform: process.platform,
    raplRoot,
    rapl: discoverRapl(raplRoot),
    netSnmpError,
    nvidiaSmi: onPath('nvidia-smi', env),
    powermetrics: onPath('powermetrics', env),
  };
}
