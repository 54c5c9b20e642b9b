import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ServiceDefinition } from '../../src/runtime/compose-file.js';
import { gpuSetService, gpuSetSuffix, parseTarget, placedTarget } from '../../src/placement/target.js';
import { gpuSetOfName } from '../../src/placement/gpu-set-containers.js';
import { splitByNeed } from '../../src/placement/split.js';
import type { ExperimentConfig } from '../../src/config/experiment.js';

const service = (over: Partial<ServiceDefinition> = {}) =>
  ({
    name: 'vllm',
    image: 'lem/vllm:latest',
    env: { A: '1' },
    gpus: [],
    runtime: undefined,
    ...over,
  }) as ServiceDefinition;

describe('placed targets', () => {
  it('round-trip backend and GPU set; a plain backend name has no set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 63 }), { minLength: 1 }), (gpus) => {
        const sorted = [...gpus].sort((a, b) => a - b);
        expect(parseTarget(placedTarget('vllm', gpus))).toEqual({ backend: 'vllm', gpus: sorted });
        expect(gpuSetSuffix(gpus)).toBe(`-gpu${sorted.join('-')}`);
        // `lem backends status` reads the set back from the container's name.
        expect(gpuSetOfName(`lem-p-vllm${gpuSetSuffix(gpus)}`, 'lem-p-vllm')).toEqual(sorted);
      }),
    );
    expect(parseTarget('synthetic')).toEqual({ backend: 'synthetic', gpus: undefined });
    expect(gpuSetOfName('lem-p-vllm', 'lem-p-vllm')).toBeUndefined();
    expect(gpuSetOfName('lem-p-vllm-gpuX', 'lem-p-vllm')).toBeUndefined();
    expect(gpuSetOfName('lem-p-vllm-gpu1-', 'lem-p-vllm')).toBeUndefined();
  });

  it('with the NVIDIA runtime, the container is given exactly its device ids', () => {
    const gpu = { driver: 'nvidia', count: -1, deviceIds: [], capabilities: ['gpu'], options: {} };
    const d = gpuSetService(service({ gpus: [gpu] }), [3, 1]);
    expect(d.gpus).toEqual([{ ...gpu, count: 0, deviceIds: ['1', '3'] }]);
    expect(d.env).toEqual({ A: '1', LEM_GPU_SET: '1,3', NVIDIA_VISIBLE_DEVICES: '1,3' });
  });

  it('without it, or for pretend GPUs (LEM_GPUS), the set is only recorded in LEM_GPU_SET', () => {
    const d = gpuSetService(service(), [2]);
    expect(d.gpus).toEqual([]);
    expect(d.env).toEqual({ A: '1', LEM_GPU_SET: '2' });
    const gpu = { driver: 'nvidia', count: -1, deviceIds: [], capabilities: ['gpu'], options: {} };
    const pretend = gpuSetService(service({ gpus: [gpu] }), [2], true);
    expect(pretend.gpus).toEqual([gpu]);
    expect(pretend.env).toEqual({ A: '1', LEM_GPU_SET: '2' });
  });
});

describe('splitByNeed', () => {
  it('cuts a batch where the GPU need changes, keeping order', () => {
    const e = (id: string, gpus?: number | number[]) => ({
      id,
      config: { backend: 'synthetic', gpus } as ExperimentConfig,
    });
    const out = splitByNeed([[e('a', 1), e('b'), e('c', 2), e('d', [0, 1]), e('f', [0, 1])], [e('g')]]);
    expect(out.map((b) => b.map((x) => x.id))).toEqual([['a', 'b'], ['c'], ['d', 'f'], ['g']]);
  });
});
