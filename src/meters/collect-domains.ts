import { readFileSync } from 'node:fs';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { domainReport, type DomainOptions, type DomainReport } from './domain-energies.js';
import { importGenericCsv } from './import/generic-csv.js';
import { importNvidiaSmi } from './import/nvidia-smi.js';
import { importPowermetrics } from './import/powermetrics.js';
import { importPrometheus } from './import/prometheus.js';
import { startRaplPoller } from './rapl-poller.js';
import type { MeterSample, SourceSamples } from './samples.js';
import { startSnmpPoller } from './snmp-poller.js';
import type { MeterSource } from './sources-config.js';

type LogSource = Extract<MeterSource, { path: string }>;
type LiveSource = Exclude<MeterSource, LogSource>;

/** How a source is named in figures and cross-checks: its kind and what tells two of a kind apart. */
export function sourceLabel(s: MeterSource): string {
  switch (s.type) {
    case 'rapl':
      return `rapl ${s.root}`;
    case 'snmp':
      return `snmp ${s.host}:${s.port} ${s.oid}`;
    default:
      return `${s.type} ${s.path}`;
  }
}

const isLog = (s: MeterSource): s is LogSource => 'path' in s;

/** Reads and imports one log, shifted onto lem's clock by its declared offset. */
export function readLogSource(s: LogSource): Result<SourceSamples> {
  let text: string;
  try {
    text = readFileSync(s.path, 'utf8');
  } catch (e) {
    return err(lemError(ErrorCode.FILE_NOT_FOUND, `meter log ${s.path} (${s.type}): ${(e as Error).message}`));
  }
  const o = { file: s.path, clockOffsetS: s.clock_offset_s };
  const imported =
    s.type === 'nvidia-smi-log'
      ? importNvidiaSmi(text, o)
      : s.type === 'dcgm-log'
        ? importPrometheus(text, o)
        : s.type === 'powermetrics-log'
          ? importPowermetrics(text, o)
          : importGenericCsv(text, { ...o, defaultDomain: s.domain });
  return imported.ok ? ok({ ...imported.value, source: sourceLabel(s) }) : imported;
}

interface LiveHandle {
  readonly label: string;
  stop(): Promise<Result<readonly MeterSample[]>>;
}

async function startLive(s: LiveSource, o: MeterRunOptions): Promise<Result<LiveHandle>> {
  const label = sourceLabel(s);
  if (s.type === 'rapl') {
    const p = startRaplPoller(s.root, s.interval_ms, o.now);
    return p.ok ? ok({ label, stop: () => Promise.resolve(p.value.stop()) }) : p;
  }
  const target = {
    host: s.host,
    port: s.port,
    oid: s.oid,
    communityEnv: s.community_env,
    scale: s.scale,
    domain: s.domain,
    timeoutMs: s.timeout_ms,
    retries: s.retries,
  };
  const p = await startSnmpPoller(target, s.interval_ms, { env: o.env, ...(o.now ? { now: o.now } : {}) });
  return p.ok ? ok({ label, stop: () => p.value.stop() }) : p;
}

export interface MeterRunOptions {
  /** The user's environment, from the CLI edge (project.env): the SNMP community is read from it by name. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** lem's clock, seconds since the epoch (the live meters stamp their samples with it). */
  readonly now?: () => number;
}

export interface RunningMeters {
  /** Stops the live meters, reads the logs, and returns every source's samples (the first failure otherwise). */
  stop(): Promise<Result<SourceSamples[]>>;
}

/**
 * Starts the live meters of a source list (RAPL, SNMP) before the window; logs are only read at stop, since the
 * tools writing them run alongside. A meter that cannot start stops the ones already started and is the error.
 */
export async function startMeters(sources: readonly MeterSource[], o: MeterRunOptions): Promise<Result<RunningMeters>> {
  const live: LiveHandle[] = [];
  for (const s of sources) {
    if (isLog(s)) continue;
    const h = await startLive(s, o);
    if (!h.ok) {
      for (const started of live) await started.stop();
      return h;
    }
    live.push(h.value);
  }
  return ok({
    stop: async () => {
      const out: SourceSamples[] = [];
      let failure: Result<never> | undefined;
      for (const h of live) {
        const r = await h.stop();
        if (r.ok) out.push({ source: h.label, clockOffsetS: 0, samples: r.value, notes: [] });
        else failure ??= r;
      }
      if (failure) return failure;
      for (const s of sources.filter(isLog)) {
        const r = readLogSource(s);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return ok(out);
    },
  });
}

/** The window's domain energies and cross-checks from meters started with startMeters (stops them). */
export async function collectDomains(
  meters: RunningMeters,
  t0: number,
  t1: number,
  o: DomainOptions = {},
): Promise<Result<DomainReport>> {
  const samples = await meters.stop();
  return samples.ok ? ok(domainReport(samples.value, t0, t1, o)) : samples;
}
