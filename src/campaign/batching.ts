import { engineInitKey, type ExperimentConfig } from '../config/experiment.js';

export interface Dispatchable {
  readonly id: string;
  readonly backend: string;
  readonly config: ExperimentConfig;
}

/**
 * Groups experiments, in planned order, into exec batches: consecutive experiments that can share one loaded
 * engine (same backend, model and engine-initialisation parameters) go together, so a model is loaded once per
 * batch. `force_cold_start` (campaign-wide or per experiment) puts every such experiment in a batch of its own.
 */
export function groupIntoBatches<T extends Dispatchable>(
  items: readonly T[],
  opts: { forceColdStart: boolean; maxBatch?: number },
): T[][] {
  const max = opts.maxBatch ?? Infinity;
  const batches: T[][] = [];
  let current: T[] = [];
  let key: string | undefined;
  for (const item of items) {
    const cold = opts.forceColdStart || item.config.force_cold_start;
    const k = cold ? undefined : engineInitKey(item.config);
    if (current.length > 0 && (k === undefined || k !== key || current.length >= max)) {
      batches.push(current);
      current = [];
    }
    current.push(item);
    key = k;
    if (cold) {
      batches.push(current);
      current = [];
      key = undefined;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
