import { EXTERNAL_BACKEND } from '../config/backends.js';
import type { ExperimentConfig } from '../config/experiment.js';

/** How many GPUs an experiment needs, and which ones when it pins them. */
export interface GpuNeed {
  readonly count: number;
  readonly pins?: readonly number[] | undefined;
}

/**
 * A serve experiment against an external endpoint (`backend: external`) runs its load generator in lem's own
 * process and uses no GPU of this node: it needs none, whatever `gpus:` says. Otherwise an explicit `gpus:` (a
 * count, or a list of node indices to pin) wins; otherwise the engine's parallelism decides: tensor_parallel_size × pipeline_parallel_size for vLLM and TensorRT-LLM, one GPU for the rest.
 */
export function gpuNeed(c: Pick<ExperimentConfig, 'gpus' | 'vllm' | 'tensorrt' | 'backend'>): GpuNeed {
  if (c.backend === EXTERNAL_BACKEND) return { count: 0 };
  if (Array.isArray(c.gpus)) return { count: c.gpus.length, pins: [...c.gpus].sort((a, b) => a - b) };
  if (typeof c.gpus === 'number') return { count: c.gpus };
  const engine = c.backend === 'vllm' ? c.vllm : c.backend === 'tensorrt' ? c.tensorrt : undefined;
  if (!engine) return { count: 1 };
  return { count: engine.tensor_parallel_size * engine.pipeline_parallel_size };
}
