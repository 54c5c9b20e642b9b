import { describe, expect, it } from 'vitest';
import { configLabels, variedKeys } from '../../src/results/config-params.js';
import { csvCell, parseCsv, toCsv } from '../../src/results/csv.js';
import { fmt, fmtCI, markdownTable } from '../../src/results/format.js';
import { paretoFront } from '../../src/results/pareto.js';
import { parsePowerSeries } from '../../src/results/samples.js';
import { buildResult, defaultConfig, samplesCsv } from '../fixtures/result-builder.js';

describe('csv', () => {
  it('quotes only when needed and round-trips commas, quotes and newlines', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(NaN)).toBe('');
    expect(csvCell(0.1)).toBe('0.1');
    expect(csvCell('a,b')).toBe('"a,b"');
    const rows = [['x', 'say "hi", then\nleave', '', '3']];
    expect(parseCsv(toCsv(['a', 'b', 'c', 'd'], rows))).toEqual([['a', 'b', 'c', 'd'], ...rows]);
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
  });
});

describe('paretoFront', () => {
  it('keeps exactly the points no other point beats on both axes, ordered by throughput', () => {
    const pts = [
      { id: 'slow-frugal', throughput: 100, energy: 0.05 },
      { id: 'mid', throughput: 500, energy: 0.1 },
      { id: 'dominated', throughput: 400, energy: 0.2 },
      { id: 'fast', throughput: 1000, energy: 0.3 },
      { id: 'tie-worse', throughput: 1000, energy: 0.4 },
      { id: 'equal-energy-slower', throughput: 300, energy: 0.1 },
    ];
    expect(paretoFront(pts)).toEqual(['slow-frugal', 'mid', 'fast']);
    expect(paretoFront([])).toEqual([]);
    // Exact duplicates are both on the front (neither beats the other).
    expect(paretoFront([{ id: 'a', throughput: 1, energy: 1 }, { id: 'b', throughput: 1, energy: 1 }]).sort()).toEqual(['a', 'b']);
  });

  it('agrees with the brute-force definition on random points', () => {
    let s = 9;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 50) + 1;
    for (let trial = 0; trial < 50; trial++) {
      const pts = Array.from({ length: 30 }, (_, i) => ({ id: String(i), throughput: rnd(), energy: rnd() }));
      const dominated = (p: (typeof pts)[number]) =>
        pts.some((q) => q.throughput >= p.throughput && q.energy <= p.energy && (q.throughput > p.throughput || q.energy < p.energy));
      expect(new Set(paretoFront(pts))).toEqual(new Set(pts.filter((p) => !dominated(p)).map((p) => p.id)));
    }
  });
});

describe('samples.csv', () => {
  it("reads lem_harness's layout (long, t_s restarting per phase) by header name, continuous in time", () => {
    const doc = buildResult({ gpuCount: 2 });
    const r = parsePowerSeries(samplesCsv(doc));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.series).toEqual(['GPU 0', 'GPU 1']);
    const ts = r.value.points.filter((p) => p.series === 'GPU 0').map((p) => p.t_s);
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1]!)).toBe(true);
    const total = doc.timing.idle_baseline_s + doc.timing.warmup_s + doc.timing.measured_s;
    expect(ts[ts.length - 1]!).toBeGreaterThan(total - 1);
    expect(r.value.phases.map((p) => p.phase)).toEqual(['baseline', 'warmup', 'measured']);
  });

  it('reads a wide layout and a per-phase t_s without unix_ts', () => {
    const wide = 'phase,t_s,gpu0_power_w,gpu1_power_w,gpu0_power_limit_w\nbaseline,0,70,71,700\nbaseline,0.5,70,72,700\nmeasured,0,400,410,700\nmeasured,0.5,420,415,700\n';
    const r = parsePowerSeries(wide);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.series).toEqual(['GPU 0', 'GPU 1']);
    expect(r.value.points.filter((p) => p.series === 'GPU 0').map((p) => p.t_s)).toEqual([0, 0.5, 1, 1.5]);
  });

  it('breaks the line and the shading where sampling stopped (warmup not sampled)', () => {
    const csv = 'phase,t_s,unix_ts,gpu,power_w\n' + [0, 0.1, 0.2].map((t) => `baseline,${t},${100 + t},0,70`).join('\n') + '\n' + [0, 0.1, 0.2].map((t) => `measured,${t},${110 + t},0,400`).join('\n') + '\n';
    const r = parsePowerSeries(csv);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.points.map((p) => p.segment)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(r.value.phases[0]).toMatchObject({ phase: 'baseline', start: 0 });
    expect(r.value.phases[0]!.end).toBeCloseTo(0.2, 9);
    expect(r.value.phases[1]!.start).toBeCloseTo(10, 9);
  });

  it('explains what is missing', () => {
    expect(parsePowerSeries('')).toEqual({ ok: false, error: 'samples.csv is empty' });
    const noTime = parsePowerSeries('gpu,power_w\n0,1\n');
    expect(!noTime.ok && noTime.error).toMatch(/no time column/);
    const noPower = parsePowerSeries('t_s,temperature_c\n0,30\n');
    expect(!noPower.ok && noPower.error).toMatch(/no power column/);
  });
});

describe('configuration labels', () => {
  it('name what varies, ignoring another backend section merely being absent', () => {
    const vllm8 = defaultConfig('vllm', 8, { vllm: { max_num_seqs: 8 } });
    const vllm64 = defaultConfig('vllm', 8, { vllm: { max_num_seqs: 64 } });
    const tf = defaultConfig('transformers', 8, { transformers: { attn_implementation: 'sdpa' } });
    expect(variedKeys([vllm8, vllm64, tf])).toEqual(['vllm.max_num_seqs']);
    const labels = configLabels(
      new Map([
        ['h1', buildResult({ backend: 'vllm', config: vllm8 })],
        ['h2', buildResult({ backend: 'vllm', config: vllm64 })],
        ['h3', buildResult({ backend: 'transformers', config: tf })],
      ]),
    );
    expect([...labels.values()]).toEqual(['vllm max_num_seqs=8', 'vllm max_num_seqs=64', 'transformers']);
  });
});

describe('formatting', () => {
  it('shows enough digits to compare and aligns a Markdown table', () => {
    expect([fmt(0.07012), fmt(0.455), fmt(3.14159), fmt(42.42), fmt(486.2), fmt(9806.4), fmt(null)]).toEqual(['0.0701', '0.455', '3.14', '42.4', '486', '9,806', 'n/a']);
    expect(fmtCI(1, null, null)).toBe('1.00');
    expect(markdownTable(['a', 'b'], [['x', '1'], ['long', '22']], ['l', 'r'])).toBe('| a    |  b |\n|------|---:|\n| x    |  1 |\n| long | 22 |');
  });
});
