import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverRapl, RaplCounter, readRapl } from '../../src/meters/rapl.js';
import { startRaplPoller } from '../../src/meters/rapl-poller.js';
import { windowEnergy } from '../../src/meters/window-energy.js';
import { byDomain } from '../../src/meters/samples.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory laid out as the kernel's powercap sysfs: package 0 with core and dram sub-zones. */
function powercapTree(max = 1_000_000): { root: string; set: (zone: string, uj: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'lem-powercap-'));
  dirs.push(root);
  const zone = (id: string, name: string) => {
    const d = join(root, id);
    mkdirSync(d);
    writeFileSync(join(d, 'name'), `${name}\n`);
    writeFileSync(join(d, 'max_energy_range_uj'), `${max}\n`);
    writeFileSync(join(d, 'energy_uj'), '0\n');
  };
  zone('intel-rapl:0', 'package-0');
  zone('intel-rapl:0:0', 'core');
  zone('intel-rapl:0:1', 'dram');
  writeFileSync(join(root, 'not-a-zone'), '');
  return { root, set: (z, uj) => writeFileSync(join(root, z, 'energy_uj'), `${uj}\n`) };
}

describe('RaplCounter', () => {
  it('unwraps a counter that passes max_energy_range_uj', () => {
    const c = new RaplCounter(999);
    expect(c.push(900)).toBe(0);
    expect(c.push(990)).toBeCloseTo(90e-6);
    expect(c.push(10)).toBeCloseTo(110e-6); // wrapped: 990 → 999 → 0 → 10
    expect(c.push(500)).toBeCloseTo(600e-6);
  });
});

describe('RAPL on a powercap tree', () => {
  it('finds package, core and dram zones under their lem domain names', () => {
    const { root } = powercapTree();
    const zones = discoverRapl(root);
    expect(zones.ok && zones.value.map((z) => z.domain)).toEqual(['cpu:package-0', 'cpu:core-0', 'dram:0']);
  });

  it('reads counters that advance and wrap between reads; the window energy is what the "kernel" added', () => {
    const max = 12_000_000; // a 12 J range; the package adds 5 J per step, so it wraps 25 times below
    const { root, set } = powercapTree(max);
    const zones = discoverRapl(root);
    if (!zones.ok) throw new Error(zones.error.message);
    const counters = new Map<string, RaplCounter>();
    const samples = [];
    let pkg = 11_000_000;
    set('intel-rapl:0', pkg);
    for (let i = 0; i <= 60; i++) {
      const r = readRapl(zones.value, counters, 1000 + i * 0.1);
      if (!r.ok) throw new Error(r.error.message);
      samples.push(...r.value);
      pkg = (pkg + 5_000_000) % (max + 1); // 50 W for 0.1 s
      set('intel-rapl:0', pkg);
      set('intel-rapl:0:1', ((i + 1) * 200_000) % (max + 1)); // dram: 2 W
    }
    const domains = byDomain(samples);
    const e = windowEnergy('cpu:package-0', domains.get('cpu:package-0')!, 1000, 1006, { source: 'rapl' });
    expect(e).toMatchObject({ method: 'counter', invalid: null, coverage: 1 });
    expect(e.joules!).toBeCloseTo(300, 3);
    expect(windowEnergy('dram:0', domains.get('dram:0')!, 1000, 1006, { source: 'rapl' }).joules!).toBeCloseTo(12, 3);
  });

  it('polls on a timer while the counters advance in real time', async () => {
    const { root, set } = powercapTree(1e12);
    const poller = startRaplPoller(root, 10);
    if (!poller.ok) throw new Error(poller.error.message);
    const t0 = Date.now() / 1000;
    for (let i = 1; i <= 20; i++) {
      await new Promise((r) => setTimeout(r, 15));
      set('intel-rapl:0', i * 1_000_000);
    }
    await new Promise((r) => setTimeout(r, 30));
    const all = poller.value.stop();
    if (!all.ok) throw new Error(all.error.message);
    const pkg = byDomain(all.value).get('cpu:package-0')!;
    expect(pkg.length).toBeGreaterThan(5);
    expect(pkg[0]!.t).toBeGreaterThanOrEqual(t0 - 1);
    expect(pkg.at(-1)!.joules).toBeCloseTo(20, 6);
  });

  it('says how to grant access when energy_uj is unreadable (a real non-root reader)', () => {
    const { root } = powercapTree();
    chmodSync(join(root, 'intel-rapl:0', 'energy_uj'), 0o600);
    chmodSync(root, 0o755);
    const dist = resolve(import.meta.dirname, '..', '..', 'dist', 'meters', 'rapl.js');
    const script = `import(${JSON.stringify(dist)}).then((m) => { const r = m.discoverRapl(${JSON.stringify(root)}); console.log(JSON.stringify(r.ok ? 'ok' : r.error)); })`;
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const error = JSON.parse(r.stdout) as { message: string; hint: string };
    expect(error.message).toMatch(/cannot read .*intel-rapl:0\/energy_uj: permission denied/);
    expect(error.hint).toMatch(/CVE-2020-8694/);
    expect(error.hint).toMatch(/chmod o\+r/);
  });

  it('refuses a root without RAPL zones, never reporting zero', () => {
    const root = mkdtempSync(join(tmpdir(), 'lem-powercap-'));
    dirs.push(root);
    const r = discoverRapl(root);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/no RAPL zones/);
  });
});
