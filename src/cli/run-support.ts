import { ErrorCode, lemError } from '../core/errors.js';
import { terminalSafe } from '../core/terminal-text.js';
import { err, ok, type Result } from '../core/result.js';
import type { ManifestStore } from '../campaign/manifest-store.js';
import { progressFor } from '../campaign/progress.js';
import type { RunOutcome } from '../campaign/runner.js';
import { executeCampaign } from '../campaign/session.js';
import type { Project } from '../project/project.js';
import type { StoredPlan } from '../campaign/stored-plan.js';
import type Docker from 'dockerode';

/**
 * Runs (or resumes) a campaign with signal handling shared by `campaign run`, `campaign resume` and the daemon:
 * the first SIGINT/SIGTERM stops the running experiment cleanly; a second one exits at once.
 */
export async function runWithSignals(
  docker: Docker,
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: {
    keepBackends: boolean;
    healthTimeoutS: number;
    stderr: NodeJS.WriteStream;
    stdout: NodeJS.WritableStream;
    detach?: boolean;
  },
): Promise<Result<{ outcome: RunOutcome; signal: NodeJS.Signals | undefined }>> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      opts.stderr.write(
        `\nsecond ${sig}: exiting now; the manifest is consistent, resume with: lem campaign resume ${store.current.campaign_id}\n`,
      );
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    }
    received = sig;
    opts.stderr.write(`\n${sig} received: stopping the running experiment (press again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await executeCampaign(docker, project, store, plan, {
      keepBackends: opts.keepBackends,
      signal: controller.signal,
      progress: progressFor(opts.stderr),
      healthTimeoutMs: opts.healthTimeoutS * 1000,
      cancelJobsOnInterrupt: !(opts.detach ?? false),
    });
    if (!r.ok) return r;
    return ok({ outcome: r.value, signal: received });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The closing summary and the exit code: 0 all completed, 1 failures, 128+n when stopped by a signal. */
export function finish(
  campaignId: string,
  r: { outcome: RunOutcome; signal: NodeJS.Signals | undefined },
  out: NodeJS.WritableStream,
  json: boolean,
): Result<number> {
  const { outcome, signal } = r;
  const c = outcome.counts;
  if (json) {
    out.write(
      JSON.stringify(
        { campaign_id: campaignId, counts: c, interrupted: outcome.interrupted, failures: outcome.failures },
        null,
        2,
      ) + '\n',
    );
  } else {
    out.write(
      `campaign ${campaignId}: ${c.completed} completed, ${c.failed} failed, ${c.interrupted + c.pending + c.running} not run, of ${c.total}\n`,
    );
    for (const f of outcome.failures)
      out.write(terminalSafe(`  failed ${f.id}: ${f.error}${f.log ? ` (log: ${f.log})` : ''}\n`));
  }
  if (!json && !outcome.interrupted && c.completed > 0) {
    out.write(`next: lem results aggregate --campaign ${campaignId}\n`);
  }
  if (outcome.interrupted) {
    if (!json) out.write(`interrupted; resume with: lem campaign resume ${campaignId}\n`);
    return ok(128 + (signal === 'SIGINT' ? 2 : 15));
  }
  if (c.failed > 0) {
    return err(
      lemError(ErrorCode.EXPERIMENT_FAILED, `${c.failed} experiment(s) of ${campaignId} failed after their retries`, {
        hint: `see lem campaign status ${campaignId}, and the logs named above`,
      }),
    );
  }
  return ok(0);
}

/**
 * Runs or resumes a campaign and turns the outcome into the command's result, shared by `campaign run` and
 * `campaign resume`. A run that stops on an error marks the campaign failed (it must not stay `running`) and says
 * how to continue, unless another orchestrator holds the campaign: then its manifest is that one's to write.
 */
export async function runCampaignCommand(
  docker: Docker,
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: {
    keepBackends: boolean;
    healthTimeoutS: number;
    json: boolean;
    stdout: NodeJS.WritableStream;
    detach?: boolean;
  },
): Promise<Result<number>> {
  const id = store.current.campaign_id;
  const r = await runWithSignals(docker, project, store, plan, {
    keepBackends: opts.keepBackends,
    healthTimeoutS: opts.healthTimeoutS,
    stderr: process.stderr,
    stdout: opts.stdout,
    detach: opts.detach ?? false,
  });
  if (!r.ok) {
    // A lock held elsewhere, or state that cannot be written (a full or read-only disk): marking the campaign
    // failed would be refused or hide the real error; the journal already holds its last good state.
    if (r.error.code === ErrorCode.LOCKED || r.error.code === ErrorCode.STATE_WRITE) return r;
    store.setStatus('failed');
    return err({
      ...r.error,
      hint: [r.error.hint, `campaign ${id} is saved; after fixing this, continue with: lem campaign resume ${id}`]
        .filter(Boolean)
        .join('\n  '),
    });
  }
  return finish(id, r.value, opts.stdout, opts.json);
}
