import { ok, type Result } from '../core/result.js';
import type { SharedPaths } from '../project/project.js';
import { groupIntoBatches } from './batching.js';
import { countStatuses, remainingWork, type ManifestEntry, type StatusCounts } from './manifest.js';
import { ManifestStore } from './manifest-store.js';
import type { ProgressReporter } from './progress.js';
import type { BatchMeters } from '../meters/run-meters.js';
import type { Executor } from './run/executor.js';
import { collectFinished } from './run/recovery.js';
import { superviseBatch, type SupervisorContext } from './run/supervisor.js';
import type { StoredExperiment, StoredPlan } from './stored-plan.js';

export interface RunnerOptions {
  readonly store: ManifestStore;
  readonly plan: StoredPlan;
  readonly executor: Executor;
  readonly paths: SharedPaths;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  /** How long a stopping harness may take before its target is stopped under it. */
  readonly stopGraceMs?: number;
  /** Host meters around each batch (measurement.sources). */
  readonly meters?: BatchMeters;
}

export interface RunOutcome {
  readonly counts: StatusCounts;
  readonly interrupted: boolean;
  readonly failures: readonly { id: string; error: string; log: string | null }[];
}

/**
 * The dispatch loop: batches of experiments go to the executor one at a time; every event is folded into the
 * durable manifest before the next step. Completed experiments are never dispatched again.
 */
export class CampaignRunner {
  private readonly byId: Map<string, StoredExperiment>;
  private readonly campaignId: string;

  constructor(private readonly o: RunnerOptions) {
    this.byId = new Map(o.plan.experiments.map((e) => [e.id, e]));
    this.campaignId = o.store.current.campaign_id;
  }

  async run(): Promise<Result<RunOutcome>> {
    const { store, plan, progress, signal } = this.o;
    const settings = plan.campaign;
    const counts0 = countStatuses(store.current);
    const failedForGood = store.current.experiments.filter(
      (e) => e.status === 'failed' && e.attempts > settings.retries,
    ).length;
    progress.begin(counts0.total, counts0.completed + failedForGood);

    // The targets were guarded before (no harness of an earlier run still measures): collect what it finished.
    collectFinished({ ...this.common(), hostBatches: this.o.paths.hostBatches });
    store.setStatus('running');

    const ctx = this.supervisorContext();
    let first = true;
    let queue = this.batchesOf(remainingWork(store.current, settings.retries));
    while (queue.length > 0 && !signal.aborted) {
      const batch = queue.shift()!;
      const r = await superviseBatch(ctx, batch[0]!.backend, batch, first);
      if (!r.ok) return r;
      if (r.value) first = false;
      // Retries and experiments a dying target never reached go next, ahead of the rest of the plan.
      const again = batch.filter((e) => {
        const m = store.entry(e.id);
        return (
          m.status === 'pending' ||
          (m.status === 'failed' && m.attempts <= settings.retries) ||
          (m.status === 'interrupted' && !signal.aborted)
        );
      });
      if (again.length > 0 && !signal.aborted)
        queue = [...this.batchesOf(again.map((e) => store.entry(e.id))), ...queue];
    }
    return ok(this.conclude());
  }

  private conclude(): RunOutcome {
    const { store, plan, progress, signal } = this.o;
    const counts = countStatuses(store.current);
    // A failure with a retry ahead is unfinished work too: stopped before its retry, the campaign is resumable.
    const interrupted = signal.aborted && remainingWork(store.current, plan.campaign.retries).length > 0;
    store.setStatus(interrupted ? 'interrupted' : counts.failed > 0 ? 'failed' : 'completed');
    progress.end();
    const failures = store.current.experiments
      .filter((e) => e.status === 'failed')
      .map((e) => ({ id: e.id, error: e.error ?? 'unknown error', log: e.log_path }));
    return { counts, interrupted, failures };
  }

  private common() {
    const { executor, store, progress, paths, plan } = this.o;
    return {
      executor,
      store,
      progress,
      campaignId: this.campaignId,
      projectDir: paths.projectDir,
      hostResults: paths.hostResults,
      campaignDir: ManifestStore.campaignDir(paths.hostState, this.campaignId),
      retries: plan.campaign.retries,
      stopGraceMs: this.o.stopGraceMs ?? 10_000,
    };
  }

  private supervisorContext(): SupervisorContext {
    const c = this.o.plan.campaign;
    const meters = this.o.meters ? { meters: this.o.meters } : {};
    const limits = { timeoutS: c.experiment_timeout_s, thermalGapS: c.thermal_gap_s };
    return { ...this.common(), signal: this.o.signal, ...limits, ...meters };
  }

  private batchesOf(entries: readonly ManifestEntry[]): StoredExperiment[][] {
    const items = entries.map((e) => this.byId.get(e.id)!);
    return groupIntoBatches(items, { forceColdStart: this.o.plan.campaign.force_cold_start });
  }
}
