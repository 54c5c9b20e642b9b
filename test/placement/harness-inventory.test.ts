import { describe, expect, it } from 'vitest';
import { parseHarnessGpus } from '../../src/placement/harness-inventory.js';
import { describeInventory } from '../../src/placement/inventory.js';

describe('parseHarnessGpus (what `lem_harness gpus` prints)', () => {
  it('reads the GPUs NVML showed the container, MIG mode included', () => {
    const line = JSON.stringify({
      gpus: [
        { index: 0, uuid: 'GPU-a', name: 'NVIDIA H200', memory_total_mib: 143771, mig_mode: false },
        { index: 1, uuid: 'GPU-b', name: 'NVIDIA H200', memory_total_mib: null, mig_mode: true },
      ],
      error: null,
    });
    const inv = parseHarnessGpus(`${line}\n`, 'c1');
    expect(inv.ok && inv.value).toEqual({
      source: 'harness',
      gpus: [
        { index: 0, uuid: 'GPU-a', name: 'NVIDIA H200', memoryMiB: 143771, mig: false },
        { index: 1, uuid: 'GPU-b', name: 'NVIDIA H200', memoryMiB: null, mig: true },
      ],
    });
    expect(inv.ok && describeInventory(inv.value)).toMatch(
      /^2 GPU\(s\) by the harness's NVML: 0: NVIDIA H200 \(GPU-a, 140 GiB\)/,
    );
  });

  it('no NVML is an empty inventory with the reason; anything else is an error naming the container', () => {
    const none = parseHarnessGpus('{"gpus": [], "error": "NVML sees no GPU"}', 'c1');
    expect(none.ok && none.value).toEqual({ source: 'harness', gpus: [], note: 'NVML sees no GPU' });
    for (const bad of ['', 'Traceback (most recent call last):', '{"gpus": [{"index": -1}], "error": null}']) {
      const r = parseHarnessGpus(bad, 'lem-x-vllm');
      expect(!r.ok && r.error.message).toMatch(/^lem_harness gpus in lem-x-vllm printed /);
    }
  });
});
