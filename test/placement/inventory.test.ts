import { describe, expect, it } from 'vitest';
import {
  describeInventory,
  parseNvidiaSmi,
  parsePretendGpus,
  pretendInventory,
} from '../../src/placement/inventory.js';

describe('parseNvidiaSmi', () => {
  it('reads index, UUID, name, memory and MIG mode, in node index order', () => {
    const text =
      '1, GPU-bbbb, NVIDIA H200, 143771, Disabled\n' +
      '0, GPU-aaaa, NVIDIA H200, 143771, Enabled\n' +
      '2, GPU-cccc, Tesla T4, 15360, [N/A]\n\n';
    const r = parseNvidiaSmi(text);
    expect(r.ok && r.value).toEqual([
      { index: 0, uuid: 'GPU-aaaa', name: 'NVIDIA H200', memoryMiB: 143771, mig: true },
      { index: 1, uuid: 'GPU-bbbb', name: 'NVIDIA H200', memoryMiB: 143771, mig: false },
      { index: 2, uuid: 'GPU-cccc', name: 'Tesla T4', memoryMiB: 15360, mig: false },
    ]);
  });

  it('refuses a line it cannot read instead of skipping a GPU', () => {
    const r = parseNvidiaSmi('0, GPU-a, H200, 1, Disabled\nNo devices were found, x\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('No devices were found');
  });

  it('an empty listing is no GPU', () => {
    expect(parseNvidiaSmi('')).toEqual({ ok: true, value: [] });
  });
});

describe('LEM_GPUS (test aid)', () => {
  it('declares n pretend GPUs numbered from 0, named as pretend', () => {
    const inv = pretendInventory(3);
    expect(inv.source).toBe('pretend');
    expect(inv.gpus.map((g) => g.index)).toEqual([0, 1, 2]);
    expect(describeInventory(inv)).toContain('test aid');
  });

  it('accepts whole numbers up to 64 and refuses anything else as a usage error', () => {
    expect(parsePretendGpus(undefined)).toEqual({ ok: true, value: undefined });
    expect(parsePretendGpus('4')).toEqual({ ok: true, value: 4 });
    expect(parsePretendGpus('0')).toEqual({ ok: true, value: 0 });
    for (const bad of ['-1', '2.5', 'four', '65', '1e3']) {
      const r = parsePretendGpus(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.exitCode).toBe(2);
    }
  });
});
