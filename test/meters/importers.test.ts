import { describe, expect, it } from 'vitest';
import { importGenericCsv } from '../../src/meters/import/generic-csv.js';
import { importNvidiaSmi } from '../../src/meters/import/nvidia-smi.js';
import { importPowermetrics } from '../../src/meters/import/powermetrics.js';
import { importPrometheus } from '../../src/meters/import/prometheus.js';
import { byDomain } from '../../src/meters/samples.js';
import { disagreementPct, windowEnergy } from '../../src/meters/window-energy.js';

const o = { file: 'log' };

// nvidia-smi --query-gpu=timestamp,index,power.draw,power.draw.instant --format=csv -lms 100 (two GPUs).
const SMI = `timestamp, index, power.draw [W], power.draw.instant [W]
2026/12/01 20:00:00.000, 0, 100.00 W, 100.00 W
2026/12/01 20:00:00.000, 1, 60.00 W, 60.00 W
2026/12/01 20:00:00.100, 0, 100.00 W, 200.00 W
2026/12/01 20:00:00.100, 1, 60.00 W, [N/A]
2026/12/01 20:00:00.200, 0, 110.00 W, 200.00 W
2026/12/01 20:00:00.300, 0, 120.00 W, 200.00 W
`;

describe('nvidia-smi CSV', () => {
  it('integrates power.draw.instant per GPU and notes unreadable records', () => {
    const r = importNvidiaSmi(SMI, o);
    if (!r.ok) throw new Error(r.error.message);
    const d = byDomain(r.value.samples);
    expect([...d.keys()]).toEqual(['gpu:0', 'gpu:1']);
    const t0 = d.get('gpu:0')![0]!.t;
    const e = windowEnergy('gpu:0', d.get('gpu:0')!, t0, t0 + 0.3, { source: 'nvidia-smi' });
    // trapezoid: (100+200)/2*0.1 + 200*0.1 + 200*0.1 = 15 + 20 + 20
    expect(e.joules!).toBeCloseTo(55, 4);
    expect(r.value.notes.join('\n')).toMatch(/log:5: unreadable record \(\[N\/A\]\)/);
  });

  it('says when it integrates the 1 s average', () => {
    const r = importNvidiaSmi(
      'timestamp, power.draw [W]\n2026/12/01 20:00:00.000, 100 W\n2026/12/01 20:00:01.000, 100 W\n',
      o,
    );
    expect(r.ok && r.value.notes.join()).toMatch(/1 s trailing average/);
  });

  it('ignores a truncated last line, sorts out-of-order records, applies the declared clock offset', () => {
    const text =
      'timestamp, power.draw.instant [W]\n2026/12/01 20:00:01.000, 100 W\n2026/12/01 20:00:00.000, 50 W\n2026/12/01 20:00:02.0';
    const r = importNvidiaSmi(text, { file: 'log', clockOffsetS: 2.5 });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.samples.map((s) => s.watts)).toEqual([50, 100]);
    expect(r.value.samples[0]!.t).toBeCloseTo(Date.parse('2026-12-01T20:00:00.000') / 1000 + 2.5, 6);
    expect(r.value.notes.join('\n')).toMatch(/log:4: last line incomplete/);
    expect(r.value.notes.join('\n')).toMatch(/out of time order/);
  });

  it('refuses a file that is not an nvidia-smi log, with file:line', () => {
    const r = importNvidiaSmi('hello,world\n1,2\n', o);
    expect(!r.ok && r.error.message).toMatch(/^log:1: not an nvidia-smi CSV log/);
  });
});

describe('DCGM exporter scrapes (Prometheus text)', () => {
  const scrape = (ms: number, mj: number, w: number) =>
    `# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n` +
    `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-1",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="n1"} ${w} ${ms}\n` +
    `# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n` +
    `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-1",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="n1"} ${mj} ${ms}\n` +
    `DCGM_FI_DEV_GPU_TEMP{gpu="0"} 40 ${ms}\n`;

  it('uses the energy counter (mJ) over the window', () => {
    const text = [0, 1, 2, 3].map((i) => scrape(1_764_619_200_000 + i * 1000, 5_000_000 + i * 300_000, 300)).join('');
    const r = importPrometheus(text, o);
    if (!r.ok) throw new Error(r.error.message);
    const s = byDomain(r.value.samples).get('gpu:0')!;
    const e = windowEnergy('gpu:0', s, 1_764_619_200, 1_764_619_203, { source: 'dcgm' });
    expect(e).toMatchObject({ method: 'counter', invalid: null });
    expect(e.joules!).toBeCloseTo(900, 6);
  });

  it('refuses scrapes without timestamps, saying how to fix it', () => {
    const r = importPrometheus('DCGM_FI_DEV_POWER_USAGE{gpu="0"} 75\n', o);
    expect(!r.ok && r.error.message).toMatch(/none with a timestamp/);
  });
});

describe('powermetrics text', () => {
  const block = (time: string, cpu: number, gpu: number) =>
    `*** Sampled system activity (${time}) (1000.00ms elapsed) ***\n\n**** Processor usage ****\n\nCPU Power: ${cpu} mW\nGPU Power: ${gpu} mW\nANE Power: 0 mW\nCombined Power (CPU + GPU + ANE): ${cpu + gpu} mW\n\n`;

  it('reads CPU/GPU/ANE power per interval, placed at the interval middle', () => {
    const text =
      block('Tue Dec  1 20:00:01 2026 +0000', 9000, 100) + block('Tue Dec  1 20:00:02 2026 +0000', 11000, 300);
    const r = importPowermetrics(text, o);
    if (!r.ok) throw new Error(r.error.message);
    const d = byDomain(r.value.samples);
    expect([...d.keys()].sort()).toEqual(['ane', 'cpu:soc', 'gpu:soc']);
    expect(d.get('cpu:soc')![0]!.t).toBeCloseTo(Date.UTC(2026, 11, 1, 20, 0, 0, 500) / 1000, 6);
    expect(d.get('cpu:soc')!.map((s) => s.watts)).toEqual([9, 11]);
  });
});

describe('generic CSV and cross-checks', () => {
  it('reads a PDU log and flags a meter whose samples do not cover the window', () => {
    const text = 'timestamp,watts\n1000,400\n1001,400\n1002,400\n1010,400\n';
    const r = importGenericCsv(text, { ...o, defaultDomain: 'pdu:outlet-3' });
    if (!r.ok) throw new Error(r.error.message);
    const s = r.value.samples;
    expect(windowEnergy('pdu:outlet-3', s, 1000, 1002, { source: 'csv' }).joules).toBeCloseTo(800, 6);
    const gap = windowEnergy('pdu:outlet-3', s, 1000, 1010, { source: 'csv' });
    expect(gap.joules).toBeNull();
    expect(gap.invalid).toMatch(/cover 20 % of the window/);
    // A clock off by far more than the window: no samples in it at all.
    const skewed = windowEnergy('pdu:outlet-3', s, 2000, 2002, { source: 'csv' });
    expect(skewed.invalid).toMatch(/0 sample\(s\)/);
  });

  it('reports a counter reset as invalid and measures disagreement between meters', () => {
    const s = [
      { t: 0, domain: 'gpu:0', joules: 100 },
      { t: 1, domain: 'gpu:0', joules: 200 },
      { t: 2, domain: 'gpu:0', joules: 5 },
    ];
    expect(windowEnergy('gpu:0', s, 0, 2, { source: 'nvml' }).invalid).toMatch(/reset/);
    expect(disagreementPct(100, 103)).toBeCloseTo(3, 9);
    expect(disagreementPct(null, 3)).toBeNull();
  });
});
