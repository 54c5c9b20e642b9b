import { join } from 'node:path';
import type { Manifest } from '../../src/campaign/manifest.js';
import { ManifestStore } from '../../src/campaign/manifest-store.js';

/**
 * A campaign's manifest as lem sees it: the snapshot manifest.json with the journal records after it folded in.
 * The snapshot alone lags while a run is in flight, and after a kill -9.
 */
export function manifestOf(projectDir: string, campaignId: string): Manifest {
  const r = ManifestStore.load(join(projectDir, '.state', 'campaigns', campaignId), {
    warn: (m) => {
      throw new Error(`manifest of ${campaignId} had to be rebuilt: ${m}`);
    },
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.current;
}
