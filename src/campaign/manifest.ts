import { z } from 'zod';

/**
 * The campaign manifest: for every planned experiment, where it stands. Pure data and
 * pure transitions here; durability lives in manifest-store.ts.
 */
export const ExperimentStatus = z.enum(['pending', 'running', 'completed', 'failed', 'interrupted']);
export type ExperimentStatus = z.infer<typeof ExperimentStatus>;

export const ManifestEntry = z.strictObject({
  id: z.string(),
  index: z.int().nonnegative(),
  cycle: z.int().nonnegative(),
  backend: z.string(),
  config_hash: z.string(),
  /** The experiment file the config came from (mode 1), or null for a generated grid point. */
  config_source: z.string().nullable(),
  container: z.string().nullable(),
  /** The node's GPUs (indices) the last attempt ran on, with `placement: pack`; absent for serial placement. */
  gpus: z.array(z.int().nonnegative()).optional(),
  status: ExperimentStatus,
  attempts: z.int().nonnegative(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  /** Host path of result.json, relative to the project directory. */
  result_path: z.string().nullable(),
  /** stderr of the exec that ran it, relative to the project directory. */
  log_path: z.string().nullable(),
  error: z.string().nullable(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/** A planned experiment's first manifest entry: pending, never attempted. */
export function pendingEntry(e: {
  id: string;
  index: number;
  cycle: number;
  backend: string;
  config_hash: string;
  source?: string | null | undefined;
}): ManifestEntry {
  return {
    id: e.id,
    index: e.index,
    cycle: e.cycle,
    backend: e.backend,
    config_hash: e.config_hash,
    config_source: e.source ?? null,
    container: null,
    status: 'pending',
    attempts: 0,
    started_at: null,
    finished_at: null,
    result_path: null,
    log_path: null,
    error: null,
  };
}

export const CampaignStatus = z.enum(['planned', 'running', 'completed', 'failed', 'interrupted']);
export type CampaignStatus = z.infer<typeof CampaignStatus>;

export const Manifest = z.strictObject({
  schema_version: z.literal(1),
  campaign_id: z.string(),
  campaign_name: z.string(),
  campaign_file: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Sequence number of the last journal record folded into this snapshot. */
  seq: z.int().nonnegative(),
  status: CampaignStatus,
  experiments: z.array(ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export const EntryPatch = ManifestEntry.omit({
  id: true,
  index: true,
  cycle: true,
  backend: true,
  config_hash: true,
  config_source: true,
}).partial();
export type EntryPatch = z.infer<typeof EntryPatch>;

export const JournalRecord = z.union([
  z.strictObject({ seq: z.int().positive(), ts: z.string(), id: z.string(), patch: EntryPatch }),
  z.strictObject({ seq: z.int().positive(), ts: z.string(), campaign_status: CampaignStatus }),
  // New experiments added to a campaign after it was created (the daemon appends one cycle per scheduled run).
  z.strictObject({ seq: z.int().positive(), ts: z.string(), append: z.array(ManifestEntry).min(1) }),
]);
export type JournalRecord = z.infer<typeof JournalRecord>;

export type StatusCounts = Record<ExperimentStatus, number> & { total: number };

export function countStatuses(m: Manifest): StatusCounts {
  const c: StatusCounts = {
    pending: 0,
    running: 0,
    completed: 0,
    failed: 0,
    interrupted: 0,
    total: m.experiments.length,
  };
  for (const e of m.experiments) c[e.status]++;
  return c;
}

/**
 * What still has to run, in planned order. An experiment left `running` by a killed orchestrator counts as
 * interrupted; a failed one runs again while it has attempts left (1 + retries in all).
 */
export function remainingWork(m: Manifest, retries: number): ManifestEntry[] {
  return m.experiments
    .filter(
      (e) =>
        e.status === 'pending' ||
        e.status === 'interrupted' ||
        e.status === 'running' ||
        (e.status === 'failed' && e.attempts <= retries),
    )
    .sort((a, b) => a.index - b.index);
}
