import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { MeterSample } from './samples.js';

/**
 * RAPL through Linux's powercap sysfs (`/sys/class/powercap` by default; the root is configurable so the same
 * code reads a test tree). Intel and AMD Zen both expose `intel-rapl:N` (package N) with sub-zones
 * `intel-rapl:N:M` named core, uncore or dram; `energy_uj` is a cumulative µJ counter that wraps at
 * `max_energy_range_uj`.
 */
export interface RaplZone {
  /** lem's domain name: cpu:package-0, cpu:core-0, cpu:uncore-0, dram:0, platform. */
  readonly domain: string;
  readonly dir: string;
  readonly maxRangeUj: number;
}

const ZONE = /^intel-rapl(?:-mmio)?:(\d+)(?::(\d+))?$/;

function domainOf(name: string, pkg: string): string {
  if (/^package-\d+$/.test(name)) return `cpu:${name}`;
  if (name === 'dram') return `dram:${pkg}`;
  if (name === 'psys') return 'platform';
  return `cpu:${name}-${pkg}`;
}

/** How to grant what Linux ≥ 5.10 withholds (CVE-2020-8694: energy_uj readable by root only). */
export const RAPL_PERMISSION_HINT =
  'since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694): run lem as root, or grant read access until ' +
  'the next reboot with: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj /sys/class/powercap/intel-rapl:*:*/energy_uj ' +
  '(or a udev rule to make it permanent)';

function readNumber(file: string): Result<number> {
  try {
    const v = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isFinite(v) || v < 0)
      return err(lemError(ErrorCode.CONFIG_INVALID, `${file} does not hold a counter value`));
    return ok(v);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return err(
        lemError(ErrorCode.CONFIG_INVALID, `cannot read ${file}: permission denied`, { hint: RAPL_PERMISSION_HINT }),
      );
    }
    return err(lemError(ErrorCode.CONFIG_INVALID, `cannot read ${file}: ${(e as Error).message}`));
  }
}

/** The RAPL zones under `root`, checked readable now (a zone that cannot be read is an error, never a zero). */
export function discoverRapl(root: string): Result<RaplZone[]> {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (e) {
    return err(lemError(ErrorCode.CONFIG_INVALID, `no RAPL here: cannot list ${root}: ${(e as Error).message}`));
  }
  const zones: RaplZone[] = [];
  for (const entry of entries.sort()) {
    const m = ZONE.exec(entry);
    if (!m) continue;
    const dir = join(root, entry);
    let name: string;
    try {
      name = readFileSync(join(dir, 'name'), 'utf8').trim();
    } catch (e) {
      return err(lemError(ErrorCode.CONFIG_INVALID, `cannot read ${join(dir, 'name')}: ${(e as Error).message}`));
    }
    const max = readNumber(join(dir, 'max_energy_range_uj'));
    if (!max.ok) return max;
    const probe = readNumber(join(dir, 'energy_uj'));
    if (!probe.ok) return probe;
    zones.push({ domain: domainOf(name, m[1]!), dir, maxRangeUj: max.value });
  }
  if (zones.length === 0) return err(lemError(ErrorCode.CONFIG_INVALID, `no RAPL zones (intel-rapl:N) under ${root}`));
  return ok(zones);
}

/** Unwraps one zone's counter: cumulative joules since the first reading, across wraparounds. */
export class RaplCounter {
  private last: number | undefined;
  private wraps = 0;
  private first: number | undefined;
  constructor(private readonly maxRangeUj: number) {}

  /** Joules since the first reading. A raw value below the last one means the counter wrapped once. */
  push(rawUj: number): number {
    if (this.last !== undefined && rawUj < this.last) this.wraps++;
    this.last = rawUj;
    this.first ??= rawUj;
    return (this.wraps * (this.maxRangeUj + 1) + rawUj - this.first) / 1e6;
  }
}

/** Reads every zone once: one sample per zone at time `t` (lem's clock, seconds). */
export function readRapl(
  zones: readonly RaplZone[],
  counters: Map<string, RaplCounter>,
  t: number,
): Result<MeterSample[]> {
  const out: MeterSample[] = [];
  for (const z of zones) {
    const raw = readNumber(join(z.dir, 'energy_uj'));
    if (!raw.ok) return raw;
    let c = counters.get(z.domain);
    if (!c) counters.set(z.domain, (c = new RaplCounter(z.maxRangeUj)));
    out.push({ t, domain: z.domain, joules: c.push(raw.value) });
  }
  return ok(out);
}
