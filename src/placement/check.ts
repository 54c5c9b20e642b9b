import type { Issue, SourceLocation } from '../core/errors.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { gpuNeed } from './gpu-need.js';
import type { GpuInventory } from './inventory.js';

/** Where a field is written, for a message: its file, line and column, and its dotted path. */
export interface Where {
  readonly location?: SourceLocation | undefined;
  readonly path: string;
}

/** Finds the fields the placement checks name: the campaign's settings and each experiment's GPU fields. */
export interface PlacementLocator {
  setting(key: 'placement' | 'gpu_ids', index?: number): Where;
  /** `parallel`: the engine parallelism the GPU count comes from when `gpus` is not given. */
  experiment(i: number, field: 'gpus' | 'parallel'): Where;
}

export interface PlacementSettings {
  readonly placement: 'serial' | 'pack';
  readonly gpu_ids?: readonly number[] | undefined;
}

type Subject = Pick<ExperimentConfig, 'gpus' | 'vllm' | 'tensorrt' | 'backend'>;

/** The GPUs lem may use: the inventory, narrowed to `gpu_ids` when given (ids not in the inventory dropped). */
export function usableGpus(inv: GpuInventory, gpuIds: readonly number[] | undefined): number[] {
  const have = new Set(inv.gpus.map((g) => g.index));
  const chosen = gpuIds === undefined ? [...have] : gpuIds.filter((g) => have.has(g));
  return [...new Set(chosen)].sort((a, b) => a - b);
}

const listed = (ids: readonly number[]) => (ids.length === 0 ? 'none' : ids.join(', '));

/**
 * Everything about `placement: pack` that cannot work on this node, each at the field to change: no GPU to pack
 * on, MIG, `gpu_ids` naming GPUs the node lacks or twice, pins outside the usable GPUs or repeated, and an
 * experiment needing more GPUs than lem may use. Serial placement ignores the GPU fields: no issue.
 */
export function placementIssues(
  settings: PlacementSettings,
  experiments: readonly { readonly config: Subject }[],
  inv: GpuInventory,
  at: PlacementLocator,
): Issue[] {
  if (settings.placement !== 'pack') return [];
  const out: Issue[] = [];
  const seen = new Set<string>();
  const add = (w: Where, message: string) => {
    const key = `${w.location?.file}:${w.location?.line}:${w.path}:${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ...(w.location ? { location: w.location } : {}), path: w.path, message });
  };
  const node = inv.gpus.map((g) => g.index);
  const aid = inv.source === 'pretend' ? ' (pretend GPUs from the test aid LEM_GPUS)' : '';
  const ids = settings.gpu_ids;
  ids?.forEach((g, i) => {
    if (!node.includes(g))
      add(at.setting('gpu_ids', i), `GPU ${g} is not on this node (its GPUs: ${listed(node)})${aid}`);
    else if (ids.indexOf(g) !== i) add(at.setting('gpu_ids', i), `GPU ${g} is listed twice`);
  });
  const usable = usableGpus(inv, ids);
  if (usable.length === 0) {
    const why =
      inv.gpus.length === 0 ? `this node has no GPU${inv.note ? ` (${inv.note})` : ''}` : 'gpu_ids leaves none';
    add(at.setting('placement'), `placement: pack needs at least one GPU, and ${why}; use placement: serial`);
    return out;
  }
  const mig = inv.gpus.filter((g) => g.mig && usable.includes(g.index)).map((g) => g.index);
  if (mig.length > 0) {
    add(at.setting('placement'), `placement: pack cannot use GPUs in MIG mode (GPU ${mig.join(', ')}); use serial`);
  }
  experiments.forEach((e, i) =>
    experimentIssues(e.config, usable, node, (field, msg) => add(at.experiment(i, field), msg)),
  );
  return out;
}

function experimentIssues(
  c: Subject,
  usable: readonly number[],
  node: readonly number[],
  add: (field: 'gpus' | 'parallel', message: string) => void,
): void {
  // An external endpoint uses no GPU here: nothing about this node's GPUs can be wrong for it.
  if (gpuNeed(c).count === 0) return;
  if (Array.isArray(c.gpus)) {
    const pins: readonly number[] = c.gpus;
    const twice = pins.filter((g, i) => pins.indexOf(g) !== i);
    if (twice.length > 0) add('gpus', `GPU ${twice[0]} is pinned twice; each GPU of a set is named once`);
    for (const g of new Set(pins)) {
      if (!node.includes(g)) add('gpus', `pinned to GPU ${g}, which is not on this node (its GPUs: ${listed(node)})`);
      else if (!usable.includes(g)) add('gpus', `pinned to GPU ${g}, which gpu_ids leaves out (${listed(usable)})`);
    }
    return;
  }
  const need = gpuNeed(c).count;
  if (need <= usable.length) return;
  const field = typeof c.gpus === 'number' ? 'gpus' : 'parallel';
  const from = field === 'gpus' ? `gpus: ${need}` : `tensor × pipeline parallelism ${need}`;
  add(field, `${from} needs ${need} GPUs; lem may use ${usable.length} (${listed(usable)})`);
}
