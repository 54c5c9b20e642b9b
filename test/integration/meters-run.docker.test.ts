import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { manifestOf } from '../support/manifest-of.js';
import { TestProject } from '../support/lem-project.js';
import { advancingPowercap, growingCsvLog } from '../support/powercap-tree.js';
import { AGENT_OID, startSnmpAgent, type SnmpAgent } from '../support/snmp-agent.js';

// The built CLI as a real process runs a synthetic campaign in a real container while host meters run on this
// machine: a powercap-shaped tree whose counters advance in real time (this machine has no RAPL) and a CSV log a
// "wall meter" appends to. Each result must carry the host figures for exactly its own measured window.

const projects: TestProject[] = [];
const stops: (() => void)[] = [];
const agents: SnmpAgent[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) s();
  for (const a of agents.splice(0)) await a.stop();
  for (const p of projects.splice(0)) await p.cleanup();
});
beforeAll(async () => {
  await new Docker().getImage('lem/synthetic:latest').inspect();
});

const PACKAGE_W = 40;
const DRAM_W = 5;
const OUTLET_1_W = 150;
const OUTLET_2_W = 100;
const COMMUNITY = 'lem-test-community';

function campaign(sources: string): string {
  return `campaign_name: meters
cycles: 1
base_config:
  backend: synthetic
  model: {name: synthetic-model}
  max_output_tokens: 20
  prompts: {count: 4}
  measurement:
    idle_baseline_s: 0
    warmup: {max_runs: 2, min_runs: 1, window: 2}
    sources:
${sources}
  synthetic: {tokens_per_second: 50, ttft_ms: 1}
vary:
  batching.batch_size: [1, 2]
`;
}

describe('host meters around the measured window of a real campaign run', { timeout: 180_000 }, () => {
  it('writes per-domain energy and GPU/CPU/DRAM/node layers into each result, cut at its window', async () => {
    const p = new TestProject('meters');
    projects.push(p);
    const root = join(p.dir, 'powercap');
    const zones = [
      { id: 'intel-rapl:0', name: 'package-0', watts: PACKAGE_W },
      { id: 'intel-rapl:0:0', name: 'core', watts: 20 },
      { id: 'intel-rapl:0:1', name: 'dram', watts: DRAM_W },
    ];
    stops.push(advancingPowercap(root, zones).stop, growingCsvLog(join(p.dir, 'outlet-2.csv'), OUTLET_2_W).stop);
    // A PDU's outlet 1 over SNMP (a real snmpd serving deciwatts), outlet 2 from a lab meter's CSV log.
    const agent = await startSnmpAgent(join(p.dir), COMMUNITY, OUTLET_1_W * 10);
    agents.push(agent);
    const snmp =
      `{type: snmp, host: 127.0.0.1, port: ${agent.port}, oid: "${AGENT_OID}", scale: 0.1, ` +
      'community_env: LEM_TEST_PDU_COMMUNITY, domain: pdu:outlet-1, interval_ms: 50}';
    const sources = [
      `{type: rapl, root: ${root}, interval_ms: 50}`,
      snmp,
      '{type: csv, path: outlet-2.csv, domain: pdu:outlet-2}',
    ];
    p.write('c.yaml', campaign(sources.map((x) => `      - ${x}`).join('\n')));
    // The community reaches lem through its environment, by the name the config gives.
    const r = await p.lem(['campaign', 'run', 'c.yaml'], { env: { LEM_TEST_PDU_COMMUNITY: COMMUNITY } });
    expect(r.code, r.stderr).toBe(0);
    const id = /campaign (\S+-\d{8}-\d{6}-[0-9a-f]{4})/.exec(r.stdout)![1]!;
    const m = manifestOf(p.dir, id);
    expect(m.experiments).toHaveLength(2);
    const windows: [number, number][] = [];
    for (const e of m.experiments) {
      const doc = ResultDocument.parse(JSON.parse(readFileSync(join(p.dir, e.result_path!), 'utf8')));
      const w = doc.window;
      expect(w.end_unix_s! - w.start_unix_s!).toBeCloseTo(doc.timing.measured_s, 6);
      windows.push([w.start_unix_s!, w.end_unix_s!]);
      const d = doc.domains!;
      expect(d.error).toBeNull();
      expect(d.window).toEqual({ start_unix_s: w.start_unix_s, end_unix_s: w.end_unix_s });
      expect(d.clock.offset_s).toBe(0);
      const s = doc.timing.measured_s;
      const byDomain = new Map(d.energies.map((f) => [f.domain, f]));
      expect(byDomain.get('cpu:package-0')).toMatchObject({ method: 'counter', invalid: null });
      expect(byDomain.get('pdu:outlet-1')).toMatchObject({ method: 'integral', invalid: null });
      expect(byDomain.get('pdu:outlet-2')).toMatchObject({ method: 'integral', invalid: null });
      // The counters advance at known watts: energy over the window is watts × its length, to within what the
      // writer's timer lags on a busy machine (a value written up to tens of ms late: a few % of a 1-2 s window).
      const near = (joules: number | null, watts: number) => Math.abs(joules! / (watts * s) - 1);
      expect(near(d.layers.cpu.joules, PACKAGE_W)).toBeLessThan(0.04);
      expect(d.layers.cpu.domains).toEqual(['cpu:package-0']);
      expect(near(d.layers.dram.joules, DRAM_W)).toBeLessThan(0.04);
      expect(d.layers.node.domains).toEqual(['pdu:outlet-1', 'pdu:outlet-2']);
      expect(near(d.layers.node.joules, OUTLET_1_W + OUTLET_2_W)).toBeLessThan(0.05);
      // A simulated run measured no GPU: missing, with the harness's reason, never 0.
      expect(d.layers.gpu.joules).toBeNull();
      expect(d.layers.gpu.missing).toMatch(/simulated run/);
      expect(d.layers.rest_of_node.joules!).toBeCloseTo(
        d.layers.node.joules! - d.layers.cpu.joules! - d.layers.dram.joules!,
        6,
      );
      expect(d.layers.rest_of_node.note).toMatch(/unmeasured gpu/);
      expect(d.node_check.passed).toBe(true);
    }
    // lem results aggregate and report, as processes, carry the layers on.
    const agg = await p.lem(['results', 'aggregate', '--campaign', id, '--out', 'agg']);
    expect(agg.code, agg.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(p.dir, 'agg', 'summary.json'), 'utf8')) as {
      layers: { layers: Record<string, { n: number; mean_j: number | null; missing: { reason: string }[] }> }[];
    };
    expect(summary.layers).toHaveLength(2);
    for (const l of summary.layers) {
      expect(l.layers['cpu']!.n).toBe(1);
      expect(l.layers['gpu']).toMatchObject({ n: 0, mean_j: null });
      expect(l.layers['gpu']!.missing[0]!.reason).toMatch(/simulated run/);
    }
    const report = await p.lem(['results', 'report', '--campaign', id, '--out', 'report.html']);
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(join(p.dir, 'report.html'), 'utf8')).toContain('<section id="layers">');
    // The two experiments ran one after the other in one batch: their windows do not overlap.
    windows.sort((a, b) => a[0] - b[0]);
    expect(windows[1]![0]).toBeGreaterThanOrEqual(windows[0]![1]);
    expect(await p.containers()).toEqual([]);
  });

  it('refuses a meter it cannot read before the campaign exists or any container starts', async () => {
    const p = new TestProject('metersbad');
    projects.push(p);
    p.write('c.yaml', campaign(`      - {type: rapl, root: ${join(p.dir, 'no-powercap')}}`));
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no RAPL here: cannot list .*no-powercap/);
    expect(
      existsSync(join(p.dir, '.state', 'campaigns')) ? readdirSync(join(p.dir, '.state', 'campaigns')) : [],
    ).toEqual([]);
    expect(existsSync(join(p.dir, 'results'))).toBe(false);
    expect(await p.containers()).toEqual([]);
  });

  it('bad measurement.sources input exits 2 naming file:line and field; nothing is written', async () => {
    const p = new TestProject('metersinvalid');
    projects.push(p);
    p.write('c.yaml', campaign('      - {type: rapl, interval_ms: 5}'));
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /c\.yaml:\d+:\d+: base_config\.measurement\.sources\[0\]\.interval_ms: expected a number >= 10/,
    );
    expect(existsSync(join(p.dir, '.state'))).toBe(false);
    expect(existsSync(join(p.dir, 'results'))).toBe(false);
  });
});
