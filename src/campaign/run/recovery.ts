import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import { remainingWork, type EntryPatch, type ManifestEntry } from '../manifest.js';
import type { ManifestStore } from '../manifest-store.js';
import type { ProgressReporter } from '../progress.js';
import type { Executor, RunningHarness } from './executor.js';
import { hostResultPath, readResult } from './result-check.js';

/**
 * Whether a result file written by `attempt` finishes the experiment `e` describes. A harness left running by a
 * killed orchestrator goes on through its batch: it may finish the experiment the manifest calls `running`
 * (same attempt) and later ones still `pending` or `interrupted` (the attempt after the last one counted). A
 * failed attempt's own file (same attempt) is never taken for a success.
 */
export function finishesEntry(e: ManifestEntry, attempt: number): boolean {
  return e.status === 'running' ? attempt === e.attempts : attempt > e.attempts;
}

/** What recovery writes for an entry of the remaining work: collected, interrupted, or nothing. */
export function recoveryPatch(
  e: ManifestEntry,
  found: { attempt: number; resultPath: string } | undefined,
  at: string,
): EntryPatch | undefined {
  if (found && finishesEntry(e, found.attempt)) {
    return {
      status: 'completed',
      attempts: found.attempt,
      finished_at: at,
      result_path: found.resultPath,
      error: null,
    };
  }
  if (e.status === 'running')
    return {
      status: 'interrupted',
      error: 'the orchestrator stopped while this experiment ran',
      attempts: Math.max(0, e.attempts - 1),
    };
  return undefined;
}

/** The harnesses of other campaigns (or of no campaign lem knows) among those running in a target. */
export function foreignHarnesses(found: readonly RunningHarness[], campaignId: string): RunningHarness[] {
  return found.filter((h) => h.campaign_id !== campaignId);
}

export interface GuardContext {
  readonly executor: Executor;
  readonly progress: ProgressReporter;
  readonly campaignId: string;
  readonly backends: readonly string[];
  readonly stopGraceMs: number;
}

/**
 * Before anything else is run in the targets (even the harness warm-up, which would disturb a measurement):
 * exactly one harness may measure in a target, so a harness of another campaign there refuses this run (the
 * manifest untouched), and one of this campaign, left by a killed orchestrator, is stopped.
 */
export async function guardTargets(x: GuardContext): Promise<Result<void>> {
  for (const backend of x.backends) {
    if (!(await x.executor.mayRunHarnesses(backend))) continue;
    const listed = await x.executor.listHarnesses(backend);
    if (!listed.ok) return listed;
    const other = foreignHarnesses(listed.value, x.campaignId)[0];
    if (other) return err(busyError(x.executor.targetName(backend), other));
    if (listed.value.length === 0) continue;
    const stopped = await x.executor.stopHarnesses(backend, x.campaignId, x.stopGraceMs);
    if (!stopped.ok) return stopped;
    if (stopped.value > 0) {
      const where = x.executor.targetName(backend);
      x.progress.note(`stopped ${stopped.value} harness process(es) left running in ${where} by an earlier run`);
    }
  }
  return ok(undefined);
}

function busyError(target: string, other: RunningHarness) {
  const whose = other.campaign_id === null ? 'a campaign lem cannot name' : `campaign ${other.campaign_id}`;
  return lemError(
    ErrorCode.LOCKED,
    `backend container ${target} is measuring for ${whose} (harness PID ${other.pid}); ` +
      "two harnesses in one container would skew both campaigns' figures",
    {
      hint:
        other.campaign_id === null
          ? `wait for it to end, or stop it: docker exec ${target} kill ${other.pid}`
          : `wait for it, or see: lem campaign status ${other.campaign_id}`,
    },
  );
}

export interface CollectContext {
  readonly store: ManifestStore;
  readonly progress: ProgressReporter;
  readonly campaignId: string;
  readonly projectDir: string;
  readonly hostResults: string;
  readonly hostBatches: string;
  readonly campaignDir: string;
  readonly retries: number;
}

/** A campaign with no batch spec written yet was never dispatched, so it has no result to collect. */
function dispatchedBefore(x: CollectContext): boolean {
  const nonEmpty = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;
  // Older lem wrote batch specs inside the campaign folder.
  return nonEmpty(join(x.hostBatches, x.campaignId)) || nonEmpty(join(x.campaignDir, 'batches'));
}

/**
 * After the targets are guarded (no harness of this campaign left running): every result a harness of an earlier
 * run finished is collected rather than run again; an experiment left `running` without one is interrupted.
 */
export function collectFinished(x: CollectContext): void {
  const dispatched = dispatchedBefore(x);
  for (const e of remainingWork(x.store.current, x.retries)) {
    if (!dispatched && e.status !== 'running') continue;
    const host = hostResultPath(x.hostResults, x.campaignId, e.id);
    const r = existsSync(host) ? readResult(host, x.projectDir, x.campaignId, e.id) : undefined;
    const found = r?.ok ? { attempt: r.value.attempt, resultPath: relative(x.projectDir, host) } : undefined;
    const patch = recoveryPatch(e, found, new Date().toISOString());
    if (!patch) continue;
    x.store.update(e.id, patch);
    if (patch.status === 'completed') x.progress.done(e.id, 'completed (collected after restart)');
  }
}
