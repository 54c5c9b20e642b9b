import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { collectDomains, startMeters } from '../../src/meters/collect-domains.js';
import { MeterSource } from '../../src/meters/sources-config.js';

const dir = mkdtempSync(join(tmpdir(), 'lem-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = () => Date.now() / 1000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** nvidia-smi's timestamp: local time, no zone. */
const smiTime = (t: number) => {
  const d = new Date(t * 1000);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

/** A powercap tree whose package, core and dram counters advance at 40, 20 and 5 W of real time. */
function raplTree(): { root: string; stop: () => void } {
  const root = join(dir, 'powercap');
  const zones: [string, string, number][] = [
    ['intel-rapl:0', 'package-0', 40],
    ['intel-rapl:0:0', 'core', 20],
    ['intel-rapl:0:1', 'dram', 5],
  ];
  const start = now();
  const write = () => {
    for (const [id, , w] of zones)
      writeFileSync(join(root, id, 'energy_uj'), `${Math.round(w * (now() - start) * 1e6)}\n`);
  };
  for (const [id, name] of zones) {
    mkdirSync(join(root, id), { recursive: true });
    writeFileSync(join(root, id, 'name'), `${name}\n`);
    writeFileSync(join(root, id, 'max_energy_range_uj'), '262143328850\n');
  }
  write();
  const timer = setInterval(write, 5);
  return { root, stop: () => clearInterval(timer) };
}

/** Logs other tools would have written over [a, b] (on their own clocks: `skew` s behind lem's for nvidia-smi). */
function writeLogs(a: number, b: number, skew: number): void {
  const smi = ['timestamp, index, power.draw [W], power.draw.instant [W]'];
  const dcgm: string[] = [];
  const csv = ['timestamp,watts'];
  for (let t = a; t <= b; t += 0.1) {
    smi.push(`${smiTime(t - skew)}, 0, 201.00 W, 200.00 W`);
    const ms = Math.round(t * 1000);
    dcgm.push(
      `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-x"} 203.5 ${ms}`,
      `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0"} ${Math.round(200 * (t - a) * 1000)} ${ms}`,
    );
    csv.push(`${t.toFixed(3)},44`);
  }
  writeFileSync(join(dir, 'smi.csv'), smi.join('\n') + '\n');
  writeFileSync(join(dir, 'dcgm.prom'), dcgm.join('\n') + '\n');
  writeFileSync(join(dir, 'lab.csv'), csv.join('\n') + '\n');
}

const sources = (root: string) =>
  [
    { type: 'rapl', root, interval_ms: 20 },
    { type: 'csv', path: join(dir, 'lab.csv'), domain: 'cpu:package-0' },
    { type: 'dcgm-log', path: join(dir, 'dcgm.prom') },
    { type: 'nvidia-smi-log', path: join(dir, 'smi.csv'), clock_offset_s: 30 },
  ].map((s) => MeterSource.parse(s));

describe('collectDomains over live RAPL and imported logs', () => {
  it("gives each domain's energy per source, with the offsets used, and cross-checks the pairs", async () => {
    const tree = raplTree();
    const started = await startMeters(sources(tree.root), { env: {} });
    expect(started.ok, started.ok ? '' : started.error.message).toBe(true);
    if (!started.ok) return;
    const a = now();
    await sleep(300);
    const t0 = now();
    await sleep(1500);
    const t1 = now();
    await sleep(300);
    writeLogs(a, now(), 30);
    const r = await collectDomains(started.value, t0, t1);
    tree.stop();
    expect(r.ok, r.ok ? '' : r.error.message).toBe(true);
    if (!r.ok) return;
    const fig = (domain: string, source: string) =>
      r.value.energies.find((e) => e.domain === domain && e.source === source);
    const d = t1 - t0;
    const rapl = `rapl ${tree.root}`;
    // The counters are written every 5 ms from real time; polls and writes may each lag by one timer tick
    // on a loaded machine: allow 0.1 s of each domain's power at both edges.
    expect(fig('cpu:package-0', rapl)!.joules!).toBeCloseTo(40 * d, -1);
    expect(Math.abs(fig('cpu:package-0', rapl)!.joules! - 40 * d)).toBeLessThan(40 * 0.2);
    expect(Math.abs(fig('cpu:core-0', rapl)!.joules! - 20 * d)).toBeLessThan(20 * 0.2);
    expect(Math.abs(fig('dram:0', rapl)!.joules! - 5 * d)).toBeLessThan(5 * 0.2);
    expect(fig('cpu:package-0', rapl)!.method).toBe('counter');
    const lab = fig('cpu:package-0', `csv ${join(dir, 'lab.csv')}`)!;
    expect(lab.joules!).toBeCloseTo(44 * d, 6);
    const smi = fig('gpu:0', `nvidia-smi-log ${join(dir, 'smi.csv')}`)!;
    expect(smi.clock_offset_s).toBe(30);
    // Only right if the 30 s offset was applied: the log's own timestamps end 30 s before the window.
    expect(smi.joules!).toBeCloseTo(200 * d, 0);
    expect(fig('gpu:0', `dcgm-log ${join(dir, 'dcgm.prom')}`)!.joules!).toBeCloseTo(200 * d, 1);

    const checks = r.value.cross_checks.map((c) => ({
      domain: c.domain,
      reference: c.reference,
      other: c.other,
      flagged: c.flagged,
    }));
    expect(checks).toEqual([
      { domain: 'cpu:package-0', reference: rapl, other: `csv ${join(dir, 'lab.csv')}`, flagged: true },
      {
        domain: 'gpu:0',
        reference: `dcgm-log ${join(dir, 'dcgm.prom')}`,
        other: `dcgm-log ${join(dir, 'dcgm.prom')} (power integral)`,
        flagged: false,
      },
      {
        domain: 'gpu:0',
        reference: `dcgm-log ${join(dir, 'dcgm.prom')}`,
        other: `nvidia-smi-log ${join(dir, 'smi.csv')}`,
        flagged: false,
      },
    ]);
    expect(r.value.cross_checks[0]!.disagreement_pct!).toBeGreaterThan(5);
    expect(r.value.cross_checks[1]!.disagreement_pct!).toBeCloseTo(1.75, 1);
    // The nvidia-smi log has power.draw.instant, so no note about the 1 s trailing average.
    expect(r.value.notes.some((n) => n.includes('trailing average'))).toBe(false);
  });

  it('a missing log is an error naming the file; a missing RAPL tree fails at start', async () => {
    const started = await startMeters([MeterSource.parse({ type: 'csv', path: join(dir, 'absent.csv') })], { env: {} });
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    const r = await collectDomains(started.value, 0, 1);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(ErrorCode.FILE_NOT_FOUND);
      expect(r.error.message).toContain(`meter log ${join(dir, 'absent.csv')} (csv)`);
    }
    const noRapl = await startMeters([MeterSource.parse({ type: 'rapl', root: join(dir, 'no-powercap') })], {
      env: {},
    });
    expect(noRapl.ok).toBe(false);
    if (!noRapl.ok) expect(noRapl.error.message).toContain(`cannot list ${join(dir, 'no-powercap')}`);
  });
});
