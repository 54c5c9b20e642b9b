import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainsBlock } from '../../src/contract/domains.js';
import type { ResultDocument } from '../../src/contract/result.js';
import { migrateResult } from '../../src/contract/result-migrate.js';
import { domainsBlock, SAME_HOST_CLOCK } from '../../src/meters/result-domains.js';
import { experimentsTable } from '../../src/results/experiments-table.js';
import type { SourceSamples } from '../../src/meters/samples.js';
import { buildResult } from '../fixtures/result-builder.js';

// A serve result as lem wrote it (v4, external endpoint), given the wall-clock window and a measured GPU
// steady-state energy, as a lem-started server's result carries.
const read = migrateResult(
  JSON.parse(readFileSync(new URL('../fixtures/serve-result-v4-external.json', import.meta.url), 'utf8')),
);
if (!read.ok) throw new Error(read.error);
const fixture = read.value;
const serving = fixture.serving!;
const whole = serving.windows.whole;
const steady = serving.windows.steady!;
const start = 2000; // lem's clock: the whole window opens at t = 2000 s
const served = (energy: Partial<typeof serving.energy> = {}): ResultDocument => ({
  ...fixture,
  window: { ...fixture.window, start_unix_s: start, end_unix_s: start + (whole.end_ms - whole.start_ms) / 1000 },
  serving: { ...serving, energy: { ...serving.energy, available: true, reason: null, steady_j: 700, ...energy } },
});

// A RAPL package counter at 40 W and a node meter at 500 W, sampled every 10 ms around the window.
const rapl: SourceSamples = {
  source: 'rapl /p',
  clockOffsetS: 0,
  notes: [],
  samples: Array.from({ length: 501 }, (_, i) => ({
    t: start - 1 + i * 0.01,
    domain: 'cpu:package-0',
    joules: 0.4 * i,
  })),
};
const pdu: SourceSamples = {
  source: 'snmp pdu',
  clockOffsetS: 0,
  notes: [],
  samples: Array.from({ length: 501 }, (_, i) => ({ t: start - 1 + i * 0.01, domain: 'node', watts: 500 })),
};

describe('domains of a serve result: the steady state beside the whole window', () => {
  it('cuts the host meters at the steady window, placed on lem clock from the whole window start', () => {
    const d = DomainsBlock.parse(domainsBlock(served(), [rapl, pdu], SAME_HOST_CLOCK));
    const s = d.steady!;
    const seconds = (steady.end_ms - steady.start_ms) / 1000;
    expect(s.window.start_unix_s).toBeCloseTo(start + (steady.start_ms - whole.start_ms) / 1000, 9);
    expect(s.window.end_unix_s - s.window.start_unix_s).toBeCloseTo(seconds, 9);
    expect(s.layers.gpu).toMatchObject({ joules: 700, domains: ['gpu'] });
    expect(s.layers.cpu.joules).toBeCloseTo(40 * seconds, 3);
    expect(s.layers.node.joules).toBeCloseTo(500 * seconds, 3);
    expect(s.layers.rest_of_node.joules).toBeCloseTo(500 * seconds - 40 * seconds - 700, 3);
    // The whole window's CPU figure is longer than the steady one's: they were cut at different edges.
    expect(d.layers.cpu.joules! - s.layers.cpu.joules!).toBeCloseTo(
      40 * ((whole.end_ms - whole.start_ms) / 1000 - seconds),
      3,
    );
  });

  it('the experiments table carries each steady layer beside the whole-window one', () => {
    const doc = served();
    const withDomains = { ...doc, domains: domainsBlock(doc, [rapl, pdu], SAME_HOST_CLOCK) };
    const t = experimentsTable([{ path: 'r.json', dir: '.', doc: withDomains }]);
    const cell = (name: string) => t.rows[0]![t.header.indexOf(name)];
    expect(cell('serve_steady_layer_gpu_j')).toBe(700);
    expect(cell('serve_steady_layer_node_j')).toBeCloseTo(withDomains.domains.steady!.layers.node.joules!, 9);
    expect(cell('layer_cpu_j')).not.toBe(cell('serve_steady_layer_cpu_j'));
  });

  it('a simulated or missing steady GPU energy is invalid with its reason, never a number', () => {
    const sim = domainsBlock(served({ simulated: true }), [rapl], SAME_HOST_CLOCK).steady!;
    expect(sim.layers.gpu.joules).toBeNull();
    expect(sim.layers.gpu.missing).toMatch(/simulated/);
    const none = domainsBlock(served({ steady_j: null, reason: 'no sampler' }), [rapl], SAME_HOST_CLOCK).steady!;
    expect(none.layers.gpu.missing).toMatch(/no sampler/);
    expect(none.layers.cpu.joules).not.toBeNull();
  });

  it('a load that never reached a steady state says so; offline results have no steady block', () => {
    const doc = served();
    const noSteady = {
      ...doc,
      serving: {
        ...doc.serving!,
        windows: { ...doc.serving!.windows, steady: null, steady_reason: 'never 64 requests streaming at once' },
      },
    };
    const d = domainsBlock(noSteady, [rapl], SAME_HOST_CLOCK);
    expect(d.steady).toBeNull();
    expect(d.notes).toContain('no steady state: never 64 requests streaming at once');
    const offline = domainsBlock(
      buildResult({}, { window: { start_unix_s: 1, end_unix_s: 2 } }),
      [rapl],
      SAME_HOST_CLOCK,
    );
    expect('steady' in offline).toBe(false);
  });
});
