import type { ExperimentConfig } from '../config/experiment.js';
import { gpuNeed } from './gpu-need.js';

/**
 * Batches cut where the GPU need changes: a batch shares one loaded engine, and under `placement: pack` also
 * one GPU set, so consecutive experiments needing different GPUs (a `gpus:` sweep) go to separate batches.
 */
export function splitByNeed<T extends { readonly config: ExperimentConfig }>(
  batches: readonly (readonly T[])[],
): T[][] {
  const out: T[][] = [];
  for (const batch of batches) {
    let current: T[] = [];
    let key: string | undefined;
    for (const e of batch) {
      const k = JSON.stringify(gpuNeed(e.config));
      if (current.length > 0 && k !== key) {
        out.push(current);
        current = [];
      }
      current.push(e);
      key = k;
    }
    if (current.length > 0) out.push(current);
  }
  return out;
}
