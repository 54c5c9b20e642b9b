import { join } from 'node:path';
import { ok, type Result } from '../core/result.js';
import type { SharedPaths } from '../project/project.js';
import { groupIntoBatches } from './batching.js';
import { countStatuses, remainingWork, type ManifestEntry, type StatusCounts } from './manifest.js';
import { ManifestStore } from './manifest-store.js';
import type { ProgressReporter } from './progress.js';
import type { BatchMeters } from '../meters/run-meters.js';
import type { Executor } from './run/executor.js';
import { collectFinished } from './run/recovery.js';
import { GATE_FOLDER, superviseBatch, type SupervisorContext } from './run/supervisor.js';
import { BaselineGateKeeper } from '../placement/gate-keeper.js';
import { dispatchPacked } from '../placement/dispatch.js';
import { gpuNeed } from '../placement/gpu-need.js';
import { splitByNeed } from '../placement/split.js';
import { placedTarget } from '../placement/target.js';
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
  /**
   * `placement: pack`: the GPUs lem may use; batches then run in parallel on disjoint sets of them, each in the
   * executor's target `backend@<gpus>`. Absent: one batch at a time, in the backend's own target.
   */
  readonly pack?: { readonly gpus: readonly number[] } | undefined;
  /** Host meters around each batch (measurement.sources). */
  readonly meters?: BatchMeters;
}

export interface RunOutcome {
  readonly counts: StatusCounts;
  readonly interrupted: boolean;
  readonly failures: readonly { id: string; error: string; log: string | null }[];
}

/**
 * The dispatch loop: batches of experiments go to the executor, one at a time (serial placement) or several at
 * once on disjoint GPU sets (`placement: pack`); every event is folded into the durable manifest as it comes.
 * Completed experiments are never dispatched again.
 */
export class CampaignRunner {
  private readonly byId: Map<string, StoredExperiment>;
  private readonly campaignId: string;

  constructor(private readonly o: RunnerOptions) {
    this.byId = new Map(o.plan.experiments.map((e) => [e.id, e]));
    this.campaignId = o.store.current.campaign_id;
  }

  async run(): Promise<Result<RunOutcome>> {
    const { store, plan, progress } = this.o;
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
    const batches = this.batchesOf(remainingWork(store.current, settings.retries));
    const r = this.o.pack
      ? await this.dispatchPacked(ctx, batches, this.o.pack.gpus)
      : await this.dispatch(ctx, batches);
    if (!r.ok) return r;
    return ok(this.conclude());
  }

  /** Serial placement: one batch at a time; retries go next, ahead of the rest of the plan. */
  private async dispatch(ctx: SupervisorContext, batches: StoredExperiment[][]): Promise<Result<void>> {
    let first = true;
    let queue = batches;
    while (queue.length > 0 && !this.o.signal.aborted) {
      const batch = queue.shift()!;
      const r = await superviseBatch(ctx, batch[0]!.backend, batch, first);
      if (!r.ok) return r;
      if (r.value) first = false;
      queue = [...this.batchesOf(this.leftover(batch, this.o.signal)), ...queue];
    }
    return ok(undefined);
  }

  /**
   * Pack placement: batches in parallel on disjoint GPU sets. An error in one batch (a refusal, a target that
   * cannot be brought back) stops the others, as Ctrl-C would, before it is returned. A GPU set's first batch of
   * this run has no thermal gap before it.
   */
  private async dispatchPacked(
    ctx: SupervisorContext,
    batches: StoredExperiment[][],
    gpus: readonly number[],
  ): Promise<Result<void>> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    this.o.signal.addEventListener('abort', onAbort, { once: true });
    if (this.o.signal.aborted) stop.abort();
    const used = new Set<string>();
    const gate = this.baselineGate();
    try {
      return await dispatchPacked({
        gpus,
        batches: splitByNeed(batches),
        need: (b) => ({ backend: b[0]!.backend, ...gpuNeed(b[0]!.config) }),
        signal: stop.signal,
        onError: () => stop.abort(),
        gate,
        run: async (batch, set) => {
          // A batch needing no GPU (an external endpoint) holds no GPU set: it runs in its backend's own target.
          const backend = batch[0]!.backend;
          const target = set.length === 0 ? backend : placedTarget(backend, set);
          const x = { ...ctx, signal: stop.signal, gpus: set, baselineGate: gate };
          const r = await superviseBatch(x, target, batch, !used.has(target));
          // Whatever became of its harness, the batch's experiments no longer take part in the gate.
          gate?.forget(batch.map((e) => e.id));
          if (!r.ok) return r;
          if (r.value) used.add(target);
          return ok(splitByNeed(this.batchesOf(this.leftover(batch, stop.signal))));
        },
      });
    } finally {
      gate?.stop();
      this.o.signal.removeEventListener('abort', onAbort);
    }
  }

  /** isolate_baseline: the gate keeper of this run, polling its folder under the campaign's results. */
  private baselineGate(): BaselineGateKeeper | undefined {
    if (!this.o.plan.campaign.isolate_baseline) return undefined;
    const keeper = new BaselineGateKeeper(join(this.o.paths.hostResults, this.campaignId, GATE_FOLDER));
    keeper.start();
    return keeper;
  }

  /** What of a batch runs again: retries, and experiments a dying target never reached (unless stopping). */
  private leftover(batch: readonly StoredExperiment[], signal: AbortSignal): ManifestEntry[] {
    const { store, plan } = this.o;
    if (signal.aborted) return [];
    return batch
      .map((e) => store.entry(e.id))
      .filter(
        (m) =>
          m.status === 'pending' ||
          (m.status === 'failed' && m.attempts <= plan.campaign.retries) ||
          m.status === 'interrupted',
      );
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
