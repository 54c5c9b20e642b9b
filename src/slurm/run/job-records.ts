import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appendLineDurable } from '../../core/atomic-file.js';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';

/**
 * The campaign's Slurm jobs, durably: every submitted batch is appended (and fsynced) to slurm-jobs.jsonl in the
 * campaign folder before lem waits on it, so a lem killed at any point after sbatch finds its jobs again.
 * `attempts` are the manifest's counts when the batch was submitted: replaying the job's events from them gives
 * the same manifest whether lem watched the job live or re-attached to it later.
 */
export const SubmittedBatch = z.strictObject({
  kind: z.literal('submitted'),
  batch_id: z.string(),
  job_id: z.string(),
  /** The harness's stdout (events) and stderr of this job, absolute paths on the shared filesystem. */
  events: z.string(),
  log: z.string(),
  experiments: z.array(z.strictObject({ id: z.string(), attempts: z.int().nonnegative() })).min(1),
  at: z.string(),
});
export type SubmittedBatch = z.infer<typeof SubmittedBatch>;

/** The batch's outcome is folded into the manifest: nothing of this job is left to watch. */
const SettledBatch = z.strictObject({ kind: z.literal('settled'), batch_id: z.string(), at: z.string() });

const JobRecord = z.discriminatedUnion('kind', [SubmittedBatch, SettledBatch]);

export const JOBS_FILE = 'slurm-jobs.jsonl';

export function jobsFile(campaignDir: string): string {
  return join(campaignDir, JOBS_FILE);
}

/** Records the batches of one sbatch call (one fsync for a whole job array). */
export function recordSubmitted(file: string, batches: readonly Omit<SubmittedBatch, 'kind' | 'at'>[]): Result<void> {
  const at = new Date().toISOString();
  return appendLineDurable(file, batches.map((b) => JSON.stringify({ kind: 'submitted', ...b, at })).join('\n'));
}

export function recordSettled(file: string, batchId: string): Result<void> {
  return appendLineDurable(file, JSON.stringify({ kind: 'settled', batch_id: batchId, at: new Date().toISOString() }));
}

/** Every job recorded for the campaign, and which batches are still unsettled (in submission order). */
export function readJobRecords(file: string): Result<{ all: SubmittedBatch[]; unsettled: SubmittedBatch[] }> {
  if (!existsSync(file)) return ok({ all: [], unsettled: [] });
  const lines = readFileSync(file, 'utf8').split('\n');
  const all: SubmittedBatch[] = [];
  const settled = new Set<string>();
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed;
    try {
      parsed = JobRecord.safeParse(JSON.parse(line));
    } catch (e) {
      // Only a torn last line (lem killed mid-append) is forgiven; anything else is damage to report.
      if (i === lines.length - 1) break;
      return err(lemError(ErrorCode.STATE_CORRUPT, `${file}:${i + 1}: not JSON: ${(e as Error).message}`));
    }
    if (!parsed.success)
      return err(lemError(ErrorCode.STATE_CORRUPT, `${file}:${i + 1}: ${parsed.error.issues[0]?.message}`));
    if (parsed.data.kind === 'submitted') all.push(parsed.data);
    else settled.add(parsed.data.batch_id);
  }
  return ok({ all, unsettled: all.filter((b) => !settled.has(b.batch_id)) });
}
