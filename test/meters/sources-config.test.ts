import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash } from '../../src/config/hash.js';
import { loadConfigFile } from '../../src/config/load.js';
import { formatIssue } from '../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lem-sources-'));
function load(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadConfigFile(file);
}
/** The resolved experiment config of a file that must load. */
function config(name: string, text: string) {
  const r = load(name, text);
  if (!r.ok) throw new Error((r.error.issues ?? []).map(formatIssue).join('\n') || r.error.message);
  if (r.value.kind !== 'experiment') throw new Error('not an experiment file');
  return r.value.experiment.config;
}
const BASE = 'backend: vllm\nmodel: {name: m}\n';

describe('measurement.sources', () => {
  it('absent or empty leaves the resolved config and its hash as they were (no sources key at all)', () => {
    const absent = config('absent.yaml', BASE);
    const empty = config('empty.yaml', `${BASE}measurement:\n  sources: []\n`);
    expect(Object.keys(absent.measurement)).not.toContain('sources');
    expect(JSON.stringify(empty)).toBe(JSON.stringify(absent));
    expect(configHash(empty)).toBe(configHash(absent));
  });

  it('resolves every source type with its defaults, and a list changes the hash', () => {
    const text = `${BASE}measurement:
  sources:
    - {type: rapl}
    - {type: snmp, host: pdu1, oid: .1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1, community_env: PDU_COMMUNITY, scale: 0.1,
       domain: "pdu:outlet-3"}
    - {type: nvidia-smi-log, path: smi.csv, clock_offset_s: -0.25}
    - {type: dcgm-log, path: dcgm.prom}
    - {type: powermetrics-log, path: pm.txt}
    - {type: csv, path: wall.csv}
`;
    const all = config('all.yaml', text);
    expect(all.measurement.sources).toEqual([
      { type: 'rapl', root: '/sys/class/powercap', interval_ms: 100 },
      {
        type: 'snmp',
        host: 'pdu1',
        port: 161,
        oid: '.1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1',
        community_env: 'PDU_COMMUNITY',
        scale: 0.1,
        interval_ms: 1000,
        timeout_ms: 1000,
        retries: 1,
        domain: 'pdu:outlet-3',
      },
      { type: 'nvidia-smi-log', path: 'smi.csv', clock_offset_s: -0.25 },
      { type: 'dcgm-log', path: 'dcgm.prom', clock_offset_s: 0 },
      { type: 'powermetrics-log', path: 'pm.txt', clock_offset_s: 0 },
      { type: 'csv', path: 'wall.csv', clock_offset_s: 0, domain: 'node' },
    ]);
    expect(configHash(config('plain.yaml', BASE))).not.toBe(configHash(all));
  });

  it('reports every bad entry at its file, line and field, exit 2', () => {
    const text = `${BASE}measurement:
  sources:
    - type: snmp
      host: pdu1
      oid: not-an-oid
      community_env: my secret
      port: 70000
      domain: pdu:outlet-3
    - type: rapl
      intervall_ms: 5
    - type: wattmeter
      path: x
`;
    const r = load('bad.yaml', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.exitCode).toBe(2);
    const lines = (r.error.issues ?? []).map(formatIssue);
    const file = join(dir, 'bad.yaml');
    const expectLine = (line: number, path: string, fragment: string) =>
      expect(
        lines.some((l) => l.startsWith(`${file}:${line}:`) && l.includes(`${path}: `) && l.includes(fragment)),
        lines.join('\n'),
      ).toBe(true);
    expectLine(7, 'measurement.sources[0].oid', 'numeric OID');
    expectLine(8, 'measurement.sources[0].community_env', 'environment variable name');
    expectLine(9, 'measurement.sources[0].port', '<= 65535');
    expectLine(12, 'measurement.sources[1].intervall_ms', 'unknown field "intervall_ms"');
    expectLine(13, 'measurement.sources[2].type', 'expected one of "rapl", "snmp", "nvidia-smi-log"');
    expectLine(13, 'measurement.sources[2].type', 'got "wattmeter"');
  });
});
