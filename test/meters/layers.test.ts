import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainsBlock } from '../../src/contract/domains.js';
import type { SourcedEnergy } from '../../src/meters/domain-energies.js';
import { layerOf, layersOf } from '../../src/meters/layers.js';
import { domainsBlock, NVML_INTEGRAL_SOURCE, NVML_SOURCE, SAME_HOST_CLOCK } from '../../src/meters/result-domains.js';
import type { SourceSamples } from '../../src/meters/samples.js';
import { buildResult } from '../fixtures/result-builder.js';

const fig = (domain: string, joules: number | null, source = 'm', invalid: string | null = null): SourcedEnergy => ({
  domain,
  source,
  joules,
  method: joules === null ? null : 'counter',
  cadence_s: 0.1,
  coverage: joules === null ? 0 : 1,
  samples: 10,
  invalid: joules === null ? (invalid ?? 'broken') : null,
  clock_offset_s: 0,
});

describe('layerOf', () => {
  it('sorts domains into layers; RAPL core/uncore lie inside the package and sum into nothing', () => {
    expect(layerOf('gpu:0')).toBe('gpu');
    expect(layerOf('gpu:soc')).toBe('gpu');
    expect(layerOf('cpu:package-1')).toBe('cpu');
    expect(layerOf('cpu:soc')).toBe('cpu');
    expect(layerOf('cpu:core-0')).toBeUndefined();
    expect(layerOf('cpu:uncore-0')).toBeUndefined();
    expect(layerOf('dram:0')).toBe('dram');
    expect(layerOf('node')).toBe('node');
    expect(layerOf('pdu:outlet-3')).toBe('node');
    expect(layerOf('platform')).toBeUndefined();
    expect(layerOf('ane')).toBeUndefined();
  });
});

describe('layersOf', () => {
  it('sums each layer, takes the first source per domain, and the rest of the node is node minus parts', () => {
    const { layers, node_check } = layersOf(
      [
        fig('gpu:0', 100, NVML_SOURCE),
        fig('gpu:1', 110, NVML_SOURCE),
        fig('gpu:0', 130, 'nvidia-smi-log smi.csv'),
        fig('cpu:package-0', 30),
        fig('cpu:package-1', 32),
        fig('cpu:core-0', 20),
        fig('dram:0', 8),
        fig('pdu:outlet-1', 200),
        fig('pdu:outlet-2', 150),
      ],
      5,
    );
    expect(layers.gpu).toEqual({ joules: 210, domains: ['gpu:0', 'gpu:1'], missing: null, note: null });
    expect(layers.cpu.joules).toBe(62);
    expect(layers.dram.joules).toBe(8);
    expect(layers.node.joules).toBe(350);
    expect(layers.rest_of_node).toMatchObject({ joules: 350 - 210 - 62 - 8, missing: null, note: null });
    expect(node_check).toMatchObject({ node_j: 350, components_j: 280, passed: true });
    expect(node_check.margin_pct).toBeCloseTo(25, 10);
  });

  it('a whole-node meter and the PDU outlets feeding it are never added up', () => {
    const { layers } = layersOf([fig('pdu:outlet-1', 200), fig('node', 190)], 5);
    expect(layers.node).toMatchObject({ joules: 190, domains: ['node'] });
  });

  it('a layer with an invalid domain has no figure, with that reason; an absent layer says not measured', () => {
    const { layers, node_check } = layersOf(
      [fig('gpu:0', 100), fig('cpu:package-0', 30), fig('cpu:package-1', null, 'rapl', 'samples cover 40 %')],
      5,
    );
    expect(layers.cpu).toMatchObject({ joules: null, missing: 'cpu:package-1 (rapl): samples cover 40 %' });
    expect(layers.dram.joules).toBeNull();
    expect(layers.dram.missing).toMatch(/^not measured: no source for the DRAM/);
    expect(layers.node.missing).toMatch(/^not measured/);
    expect(layers.rest_of_node).toMatchObject({ joules: null });
    expect(layers.rest_of_node.missing).toMatch(/^no node figure/);
    expect(node_check).toMatchObject({ passed: null, node_j: null });
  });

  it('the remainder names the components it could not subtract', () => {
    const { layers } = layersOf([fig('node', 300), fig('cpu:package-0', 40)], 5);
    expect(layers.rest_of_node).toMatchObject({ joules: 260, note: 'includes the unmeasured gpu, dram' });
  });

  it('flags a node meter that read less than its components by more than the threshold', () => {
    const low = layersOf([fig('node', 90), fig('gpu:0', 100)], 5).node_check;
    expect(low.passed).toBe(false);
    expect(low.detail).toMatch(/10\.0 % less than the sum of its components/);
    expect(layersOf([fig('node', 96), fig('gpu:0', 100)], 5).node_check.passed).toBe(true);
  });

  it('never turns a missing figure into a number: every layer is a sum of valid figures or null', () => {
    const domains = fc.constantFrom('gpu:0', 'gpu:1', 'cpu:package-0', 'cpu:core-0', 'dram:0', 'node', 'pdu:a');
    const figure = fc.record({ d: domains, j: fc.option(fc.double({ min: 0, max: 1e4, noNaN: true }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(figure, { maxLength: 12 }), fc.double({ min: 0, max: 50, noNaN: true }), (xs, th) => {
        const energies = xs.map((x) => fig(x.d, x.j));
        const { layers } = layersOf(energies, th);
        for (const l of Object.values(layers)) {
          expect(l.joules === null).toBe(l.missing !== null);
          if (l.joules !== null) expect(Number.isFinite(l.joules)).toBe(true);
        }
        const firsts = new Map<string, number | null>();
        for (const e of energies) if (!firsts.has(e.domain)) firsts.set(e.domain, e.joules);
        const gpu = [...firsts].filter(([d]) => d.startsWith('gpu'));
        if (gpu.length > 0 && gpu.every(([, j]) => j !== null))
          expect(layers.gpu.joules).toBeCloseTo(
            gpu.reduce((s, [, j]) => s + j!, 0),
            6,
          );
        else expect(layers.gpu.joules).toBeNull();
      }),
    );
  });
});

describe('domainsBlock', () => {
  const window = { start_unix_s: 1000, end_unix_s: 1010 };
  const rapl: SourceSamples = {
    source: 'rapl /p',
    clockOffsetS: 0,
    notes: ['a note'],
    // 40 W counter from t = 995 to 1015.
    samples: Array.from({ length: 201 }, (_, i) => ({ t: 995 + i * 0.1, domain: 'cpu:package-0', joules: 4 * i })),
  };

  it('puts the harness GPU figures first and cuts the host samples at the window', () => {
    const doc = buildResult({ gpuCount: 2 }, { window });
    const d = DomainsBlock.parse(domainsBlock(doc, [rapl], SAME_HOST_CLOCK));
    expect(d.window).toEqual(window);
    expect(d.energies.slice(0, 2).map((e) => [e.domain, e.source, e.joules])).toEqual(
      doc.energy.per_gpu.map((g) => [`gpu:${g.index}`, NVML_SOURCE, g.counter_j]),
    );
    expect(d.layers.cpu.joules).toBeCloseTo(400, 6);
    expect(d.layers.gpu.joules).toBeCloseTo(
      doc.energy.per_gpu.reduce((s, g) => s + g.counter_j!, 0),
      6,
    );
    expect(d.notes).toEqual(['a note']);
    expect(d.error).toBeNull();
  });

  it("cross-checks each GPU's counter against the harness's power integral; layers keep the counter", () => {
    const doc = buildResult({ gpuCount: 2 }, { window });
    const d = domainsBlock(doc, [], SAME_HOST_CLOCK);
    const integrals = d.energies.filter((e) => e.source === NVML_INTEGRAL_SOURCE);
    expect(integrals.map((e) => [e.domain, e.method, e.joules, e.cadence_s])).toEqual(
      doc.energy.per_gpu.map((g) => [`gpu:${g.index}`, 'integral', g.integrated_j, doc.sampler.interval_ms / 1000]),
    );
    expect(d.cross_checks.map((c) => [c.domain, c.reference, c.other])).toEqual([
      ['gpu:0', NVML_SOURCE, NVML_INTEGRAL_SOURCE],
      ['gpu:1', NVML_SOURCE, NVML_INTEGRAL_SOURCE],
    ]);
    // The builder's integral is 0.4 % above its counter.
    for (const c of d.cross_checks) expect(c.disagreement_pct).toBeCloseTo(0.4, 6);
    expect(d.layers.gpu.joules).toBeCloseTo(
      doc.energy.per_gpu.reduce((s, g) => s + g.counter_j!, 0),
      6,
    );
  });

  it('a GPU whose counter gave nothing is summed from its power integral, the dead counter kept with why', () => {
    const doc = buildResult({}, { window });
    const perGpu = doc.energy.per_gpu.map((g) => ({ ...g, counter_j: null }));
    const d = domainsBlock({ ...doc, energy: { ...doc.energy, per_gpu: perGpu } }, [], SAME_HOST_CLOCK);
    expect(d.energies.map((e) => [e.source, e.joules])).toEqual([
      [NVML_INTEGRAL_SOURCE, perGpu[0]!.integrated_j],
      [NVML_SOURCE, null],
    ]);
    expect(d.layers.gpu.joules).toBe(perGpu[0]!.integrated_j);
    expect(d.cross_checks[0]!.disagreement_pct).toBeNull();
  });

  it('a simulated result has a GPU layer missing with the harness reason', () => {
    const doc = buildResult({ simulated: true }, { window });
    const d = domainsBlock(doc, [rapl], SAME_HOST_CLOCK);
    expect(d.layers.gpu.joules).toBeNull();
    expect(d.layers.gpu.missing).toContain(doc.energy.reason!);
  });

  it('without the window times (an older harness) or with failed meters, host layers are missing with why', () => {
    const old = domainsBlock(buildResult(), [rapl], SAME_HOST_CLOCK);
    expect(old.window).toBeNull();
    expect(old.error).toMatch(/wall-clock times/);
    expect(old.layers.cpu.missing).toMatch(/^host meters failed: the result does not carry/);
    const failed = domainsBlock(
      buildResult({}, { window }),
      { error: 'SNMP agent pdu:161: no answer' },
      SAME_HOST_CLOCK,
    );
    expect(failed.layers.node.missing).toBe('host meters failed: SNMP agent pdu:161: no answer');
    expect(failed.layers.gpu.joules).not.toBeNull();
  });
});
