import { describe, expect, it } from 'vitest';
import { ExperimentConfig } from '../../src/config/experiment.js';
import { gpuNeed } from '../../src/placement/gpu-need.js';

const cfg = (over: Record<string, unknown>) => ExperimentConfig.parse({ model: { name: 'm' }, ...over });

describe('gpuNeed', () => {
  it('is tensor × pipeline parallelism for vLLM and TensorRT-LLM, one GPU for the others', () => {
    expect(gpuNeed(cfg({ backend: 'vllm', vllm: { tensor_parallel_size: 2, pipeline_parallel_size: 2 } }))).toEqual({
      count: 4,
    });
    expect(gpuNeed(cfg({ backend: 'tensorrt', tensorrt: { tensor_parallel_size: 2 } }))).toEqual({ count: 2 });
    expect(gpuNeed(cfg({ backend: 'transformers' }))).toEqual({ count: 1 });
  });

  it('takes an explicit count or pins over the engine parallelism', () => {
    expect(gpuNeed(cfg({ backend: 'vllm', gpus: 3, vllm: { tensor_parallel_size: 2 } }))).toEqual({ count: 3 });
    expect(gpuNeed(cfg({ backend: 'synthetic', gpus: [5, 1] }))).toEqual({ count: 2, pins: [1, 5] });
  });

  it('is no GPU for a serve experiment against an external endpoint, whatever gpus: says', () => {
    expect(gpuNeed({ backend: 'external' })).toEqual({ count: 0 });
    expect(gpuNeed({ backend: 'external', gpus: [0, 1] })).toEqual({ count: 0 });
    expect(gpuNeed({ backend: 'external', gpus: 2 })).toEqual({ count: 0 });
  });
});
