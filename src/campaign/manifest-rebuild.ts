import type { JournalRecord, Manifest } from './manifest.js';
import { pendingEntry } from './manifest.js';
import type { StoredPlan } from './stored-plan.js';

/**
 * The manifest a campaign had before its first journal record, rebuilt from plan.json: every planned experiment
 * pending. Experiments that journal `append` records add (the daemon's later cycles, which plan.json also lists)
 * are left out here, so folding the journal over the result adds each of them once, in journal order.
 */
export function manifestBeforeJournal(
  campaignId: string,
  plan: StoredPlan,
  records: readonly JournalRecord[],
): Manifest {
  const appended = new Set<string>();
  for (const r of records) if ('append' in r) for (const e of r.append) appended.add(e.id);
  const file = plan.campaign['file'];
  const created = records[0]?.ts ?? new Date().toISOString();
  return {
    schema_version: 1,
    campaign_id: campaignId,
    campaign_name: plan.campaign.name,
    campaign_file: typeof file === 'string' ? file : '',
    created_at: created,
    updated_at: created,
    seq: 0,
    status: 'planned',
    experiments: plan.experiments.filter((e) => !appended.has(e.id)).map(pendingEntry),
  };
}
