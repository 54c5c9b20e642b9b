import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { placementIssues, usableGpus, type PlacementLocator, type PlacementSettings } from './check.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { probeInventory } from './inventory-probe.js';
import type { GpuInventory } from './inventory.js';

/** What a pack campaign runs on: the node's inventory and the GPUs of it lem may use. */
export interface PackNode {
  readonly inventory: GpuInventory;
  readonly usable: readonly number[];
}

/**
 * Before anything runs: for `placement: pack`, probes the node's GPUs and refuses (exit 2, each problem at its
 * file, line and field) a campaign that cannot be placed on them. Undefined for serial placement, which probes
 * nothing.
 */
export async function placementPreflight(
  file: string,
  settings: PlacementSettings,
  experiments: readonly { readonly config: ExperimentConfig }[],
  at: PlacementLocator,
  pretendGpus: string | undefined,
): Promise<Result<PackNode | undefined>> {
  if (settings.placement !== 'pack') return ok(undefined);
  const inv = await probeInventory({ pretendGpus });
  if (!inv.ok) return inv;
  const issues = placementIssues(settings, experiments, inv.value, at);
  if (issues.length > 0) {
    const n = issues.length;
    return err(
      lemError(ErrorCode.CONFIG_INVALID, `${file}: ${n} placement problem${n === 1 ? '' : 's'} on this node`, {
        issues,
      }),
    );
  }
  return ok({ inventory: inv.value, usable: usableGpus(inv.value, settings.gpu_ids) });
}
