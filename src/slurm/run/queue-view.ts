import { existsSync } from 'node:fs';
import { ok, type Result } from '../../core/result.js';
import type { SlurmCommands } from '../commands.js';
import { jobComment, jobName } from '../job-script.js';
import { jobsFile, readJobRecords } from './job-records.js';

export interface QueuedBatch {
  readonly job_id: string;
  readonly batch_id: string;
  /** Slurm's state now (PENDING, RUNNING, ...), or "gone" when the controller no longer knows the job. */
  readonly state: string;
  /** Why a pending job waits (Resources, Priority, a drained node's ReqNodeNotAvail, JobHeldUser), if it does. */
  readonly reason: string | null;
  readonly experiments: readonly string[];
}

/**
 * The campaign's batch jobs that lem has not yet seen to their end, with their live state from squeue: what
 * `lem campaign status` shows of a Slurm campaign. undefined for a campaign that never ran on Slurm.
 */
export async function queueView(campaignDir: string, slurm: SlurmCommands): Promise<Result<QueuedBatch[] | undefined>> {
  const file = jobsFile(campaignDir);
  if (!existsSync(file)) return ok(undefined);
  const records = readJobRecords(file);
  if (!records.ok) return records;
  if (records.value.unsettled.length === 0) return ok([]);
  const campaignId = campaignDir.split(/[\\/]/).pop()!;
  const listed = await slurm.listByComment(jobComment(campaignId), jobName(campaignId));
  if (!listed.ok) return listed;
  const live = new Map(listed.value.map((j) => [j.jobId, j]));
  return ok(
    records.value.unsettled.map((b) => {
      const j = live.get(b.job_id);
      return {
        job_id: b.job_id,
        batch_id: b.batch_id,
        state: j?.state ?? 'gone',
        reason: j?.reason ?? null,
        experiments: b.experiments.map((e) => e.id),
      };
    }),
  );
}
