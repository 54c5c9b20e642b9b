import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ExperimentConfig } from '../../src/config/experiment.js';
import { placementIssues, usableGpus, type PlacementLocator } from '../../src/placement/check.js';
import { gpuNeed } from '../../src/placement/gpu-need.js';
import { pretendInventory, type GpuInventory } from '../../src/placement/inventory.js';
import { simulatePlacement } from '../../src/placement/simulate.js';

const at: PlacementLocator = {
  setting: (key, i) => ({ location: { file: 'c.yaml', line: 1 }, path: i === undefined ? key : `${key}[${i}]` }),
  experiment: (i, field) => ({ location: { file: 'c.yaml', line: 10 + i }, path: `#${i}.${field}` }),
};
const exp = (gpus?: number | number[], tp = 1) =>
  ({ config: { backend: 'vllm', gpus, vllm: { tensor_parallel_size: tp, pipeline_parallel_size: 1 } } }) as {
    config: ExperimentConfig;
  };
const pack = (gpu_ids?: number[]) => ({ placement: 'pack' as const, gpu_ids });
const messages = (issues: { path?: string; message: string }[]) => issues.map((i) => `${i.path}: ${i.message}`);

describe('placementIssues', () => {
  it('serial placement checks nothing', () => {
    expect(placementIssues({ placement: 'serial' }, [exp([9])], pretendInventory(0), at)).toEqual([]);
  });

  it('refuses pack without a GPU, or with gpu_ids leaving none', () => {
    expect(messages(placementIssues(pack(), [exp()], pretendInventory(0), at))).toEqual([
      'placement: placement: pack needs at least one GPU, and this node has no GPU; use placement: serial',
    ]);
    const r = messages(placementIssues(pack([5]), [exp()], pretendInventory(2), at));
    expect(r[0]).toContain('gpu_ids[0]: GPU 5 is not on this node (its GPUs: 0, 1)');
    expect(r[1]).toContain('gpu_ids leaves none');
  });

  it('names pins outside the node, outside gpu_ids, and repeated; counts above the usable GPUs', () => {
    const inv = pretendInventory(4);
    const r = messages(
      placementIssues(pack([0, 1, 2]), [exp([7]), exp([3]), exp([1, 1]), exp(4), exp(undefined, 4)], inv, at),
    );
    expect(r).toEqual([
      '#0.gpus: pinned to GPU 7, which is not on this node (its GPUs: 0, 1, 2, 3)',
      '#1.gpus: pinned to GPU 3, which gpu_ids leaves out (0, 1, 2)',
      '#2.gpus: GPU 1 is pinned twice; each GPU of a set is named once',
      '#3.gpus: gpus: 4 needs 4 GPUs; lem may use 3 (0, 1, 2)',
      '#4.parallel: tensor × pipeline parallelism 4 needs 4 GPUs; lem may use 3 (0, 1, 2)',
    ]);
    for (const i of placementIssues(pack([0, 1, 2]), [exp([7])], inv, at)) expect(i.location?.line).toBe(10);
  });

  it('finds nothing wrong with an external endpoint, which uses no GPU of this node', () => {
    const external = { config: { backend: 'external', gpus: [9] } } as unknown as { config: ExperimentConfig };
    expect(placementIssues(pack([0]), [external], pretendInventory(1), at)).toEqual([]);
  });

  it('refuses GPUs in MIG mode', () => {
    const inv: GpuInventory = {
      source: 'nvidia-smi',
      gpus: [{ index: 0, uuid: 'GPU-a', name: 'H200', memoryMiB: 1, mig: true }],
    };
    expect(messages(placementIssues(pack(), [exp()], inv, at))[0]).toContain('MIG mode (GPU 0)');
  });

  it('whatever it accepts, the scheduler places completely on the usable GPUs', () => {
    const arbGpus = fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.option(fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 6 }), { nil: undefined }),
        fc.array(fc.tuple(arbGpus, fc.integer({ min: 1, max: 4 })), { maxLength: 8 }),
        (n, ids, specs) => {
          const inv = pretendInventory(n);
          const experiments = specs.map(([g, tp]) => exp(g, tp));
          if (placementIssues(pack(ids), experiments, inv, at).length > 0) return;
          const usable = usableGpus(inv, ids);
          const requests = experiments.map((e, i) => ({ key: `e${i}`, backend: 'vllm', ...gpuNeed(e.config) }));
          const sim = simulatePlacement(usable, requests, () => 1);
          expect(sim.starts.length).toBe(experiments.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
