import type { Backend } from '../config/backends.js';
import type { CampaignSettings, Structure } from '../config/campaign.js';
import type { ExpandedExperiment } from '../config/grid.js';
import type { CampaignMode } from '../config/load.js';
import type { Plan, PlannedExperiment } from './plan.js';
import { mulberry32Unit } from '../core/prng.js';

/**
 * The PRNG seed of one cycle: (seed, cycle) mixed with murmur3's finaliser, so neighbouring cycles (and
 * neighbouring campaign seeds) get unrelated orders rather than shifted copies of one sequence.
 */
export function cycleSeed(seed: number, cycle: number): number {
  let h = (seed ^ Math.imul(cycle, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32Unit(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** One slot of the run order: which experiment of the list, in which cycle (from 1). */
export interface Slot {
  readonly configIndex: number;
  readonly cycle: number;
}

/**
 * The run order of `n` experiments over `cycles` cycles:
 * - interleaved: cycle 1 runs e0..e(n-1) in list order, then cycle 2 the same, and so on;
 * - shuffled: each cycle runs all n once, in the order shuffledIndices(n, cycleSeed(seed, cycle));
 * - grouped: e0 in cycles 1..C back to back, then e1 in cycles 1..C, and so on.
 */
export function runOrder(n: number, cycles: number, structure: Structure, seed: number): Slot[] {
  const slots: Slot[] = [];
  if (structure === 'grouped') {
    for (let i = 0; i < n; i++) for (let c = 1; c <= cycles; c++) slots.push({ configIndex: i, cycle: c });
    return slots;
  }
  for (let c = 1; c <= cycles; c++) {
    const order = structure === 'shuffled' ? shuffledIndices(n, cycleSeed(seed, c)) : null;
    for (let k = 0; k < n; k++) slots.push({ configIndex: order ? order[k]! : k, cycle: c });
  }
  return slots;
}

/** `0007-c1-vllm-3fa2b9c1d4e5`: zero-padded so ids sort in run order; only [A-Za-z0-9-], safe as a file name. */
export function experimentId(index: number, cycle: number, backend: Backend, configHash: string, width = 4): string {
  return `${String(index).padStart(width, '0')}-c${cycle}-${backend}-${configHash}`;
}

/** What planning needs of a loaded campaign (a LoadedCampaign has all of it). */
export interface PlanInput {
  readonly name: string;
  /** Absolute path of the campaign file. */
  readonly path: string;
  readonly mode: CampaignMode;
  readonly settings: CampaignSettings;
  readonly experiments: readonly ExpandedExperiment[];
}

/** Order a loaded campaign into runs: pure, so the same campaign file always yields the same plan. */
export function planCampaign(loaded: PlanInput): Plan {
  const { campaign_name, ...settings } = loaded.settings;
  const slots = runOrder(loaded.experiments.length, settings.cycles, settings.structure, settings.seed);
  const width = Math.max(4, String(Math.max(slots.length - 1, 0)).length);
  const experiments = slots.map(({ configIndex, cycle }, index): PlannedExperiment => {
    const e = loaded.experiments[configIndex]!;
    const planned: PlannedExperiment = {
      id: experimentId(index, cycle, e.backend, e.config_hash, width),
      index,
      cycle,
      config_index: configIndex,
      backend: e.backend,
      config_hash: e.config_hash,
      config: e.config,
      varied: e.varied,
    };
    return e.source !== undefined ? { ...planned, source: e.source } : planned;
  });
  return {
    campaign: {
      name: campaign_name,
      ...settings,
      file: loaded.path,
      mode: loaded.mode,
      experiment_count: loaded.experiments.length,
      run_count: slots.length,
    },
    experiments,
  };
}
