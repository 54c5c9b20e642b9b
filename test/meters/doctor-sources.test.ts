import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, lemError } from '../../src/core/errors.js';
import { err, ok } from '../../src/core/result.js';
import { probeSources, sourceChecks, type SourceProbes } from '../../src/meters/doctor-sources.js';
import { RAPL_PERMISSION_HINT } from '../../src/meters/rapl.js';

const dir = mkdtempSync(join(tmpdir(), 'lem-doctor-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: SourceProbes = {
  platform: 'linux',
  raplRoot: '/sys/class/powercap',
  rapl: ok([
    { domain: 'cpu:package-0', dir: 'x', maxRangeUj: 1 },
    { domain: 'dram:0', dir: 'y', maxRangeUj: 1 },
  ]),
  netSnmpError: null,
  nvidiaSmi: '/usr/bin/nvidia-smi',
  powermetrics: null,
};
const line = (p: SourceProbes, name: string) => sourceChecks(p).find((c) => c.name === name)!;

describe('lem doctor: meter sources', () => {
  it('says what each source kind can read here, every check optional', () => {
    const checks = sourceChecks(base);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['source rapl', true],
      ['source snmp', true],
      ['source powermetrics', false],
      ['source nvidia-smi', true],
      ['source logs', true],
    ]);
    expect(checks.every((c) => c.optional)).toBe(true);
    expect(line(base, 'source rapl').detail).toBe('readable at /sys/class/powercap: cpu:package-0, dram:0');
    expect(line(base, 'source powermetrics').detail).toContain('macOS only (this is linux)');
  });

  it('gives the reason a source is not readable: RAPL permissions with the fix, no SNMP library, no nvidia-smi', () => {
    const denied = {
      ...base,
      rapl: err(
        lemError(ErrorCode.CONFIG_INVALID, 'cannot read /sys/x/energy_uj: permission denied', {
          hint: RAPL_PERMISSION_HINT,
        }),
      ),
    };
    expect(line(denied, 'source rapl')).toMatchObject({ ok: false, detail: expect.stringContaining('chmod o+r') });
    expect(line({ ...base, netSnmpError: "Cannot find package 'net-snmp'" }, 'source snmp').detail).toContain(
      "Cannot find package 'net-snmp'",
    );
    expect(line({ ...base, nvidiaSmi: null }, 'source nvidia-smi')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not on PATH'),
    });
    expect(line({ ...base, platform: 'darwin', powermetrics: '/usr/bin/powermetrics' }, 'source powermetrics').ok).toBe(
      true,
    );
  });

  it('probes a real powercap tree, the SNMP library and PATH', async () => {
    const zone = join(dir, 'powercap', 'intel-rapl:0');
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, 'name'), 'package-0\n');
    writeFileSync(join(zone, 'max_energy_range_uj'), '1000\n');
    writeFileSync(join(zone, 'energy_uj'), '5\n');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\n');
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const p = await probeSources(join(dir, 'powercap'), { PATH: `${join(dir, 'nothing')}:${bin}` });
    expect(p.rapl.ok && p.rapl.value.map((z) => z.domain)).toEqual(['cpu:package-0']);
    expect(p.netSnmpError).toBeNull();
    expect(p.nvidiaSmi).toBe(join(bin, 'nvidia-smi'));
    expect(p.powermetrics).toBeNull();
    const none = await probeSources(join(dir, 'absent'), { PATH: '' });
    expect(none.rapl.ok).toBe(false);
    expect(none.nvidiaSmi).toBeNull();
  });
});
