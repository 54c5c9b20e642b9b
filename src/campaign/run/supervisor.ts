import { join, relative } from 'node:path';
import type { BaselineGateKeeper } from '../../placement/gate-keeper.js';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { ManifestStore } from '../manifest-store.js';
import type { ProgressReporter } from '../progress.js';
import type { StoredExperiment } from '../stored-plan.js';
import { batchIdFor, buildBatchSpec, targetConfig, type SpecItem } from './batch-spec.js';
import type { Executor } from './executor.js';
import { ExperimentLogs } from './experiment-logs.js';
import {
  HARNESS_BUSY_EXIT,
  initBatch,
  reduce,
  type BatchEvent,
  type BatchState,
  type Clock,
  type Effect,
} from './reducer.js';
import type { BatchMeters, FinishedExperiment } from '../../meters/run-meters.js';
import { rewriteResult } from '../../contract/result-rewrite.js';
import { hostResultPath, resultChecked } from './result-check.js';
import { Watchdog } from './watchdog.js';

export interface SupervisorContext {
  readonly executor: Executor;
  readonly store: ManifestStore;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  readonly campaignId: string;
  readonly projectDir: string;
  readonly hostResults: string;
  /** The campaign's folder (logs/ goes there). */
  readonly campaignDir: string;
  readonly retries: number;
  readonly timeoutS: number;
  readonly thermalGapS: number;
  /** How long a stopping harness may take before its target is stopped under it. */
  readonly stopGraceMs: number;
  /** The GPU set the target holds (placement: pack): recorded with each experiment. */
  readonly gpus?: readonly number[] | undefined;
  /** Host meters (measurement.sources) run around each batch; their figures go into the results afterwards. */
  readonly meters?: BatchMeters;
  /** isolate_baseline (placement: pack): the baseline gate every harness of the batch passes before baselines. */
  readonly baselineGate?: BaselineGateKeeper | undefined;
}

/** The baseline gate's folder, under a campaign's results folder (host and container alike). */
export const GATE_FOLDER = '.baseline-gate';

export const clockNow = (): Clock => {
  const d = new Date();
  return { ms: d.getTime(), iso: d.toISOString() };
};

/**
 * Runs one batch: hands it to the executor, folds every event through the reducer, and carries out the effects
 * (manifest patches, progress, logs, the watchdog, stopping the batch, inspecting and restarting the target).
 * `firstOfRun`: no thermal gap before the batch's first experiment. Resolves whether anything was dispatched.
 */
export async function superviseBatch(
  x: SupervisorContext,
  backend: string,
  batch: readonly StoredExperiment[],
  firstOfRun: boolean,
): Promise<Result<boolean>> {
  const { executor, progress, signal } = x;
  const ready = await executor.ensureReady(backend, signal, (what, ms, detail) => progress.waiting(what, ms, detail));
  // Interrupted while waiting for the backend: nothing of this batch started; the loop ends on the signal.
  if (!ready.ok) return signal.aborted ? ok(false) : ready;
  if (signal.aborted) return ok(false);

  const readable = failUnreadable(x, backend, batch);
  if (readable.length === 0) return ok(false);
  const logs = new ExperimentLogs(join(x.campaignDir, 'logs'), x.projectDir);
  const batchId = batchIdFor(x.store.current.seq, readable[0]!.id);
  const items: SpecItem[] = readable.map((e, i) => ({
    experiment: e,
    attempt: x.store.entry(e.id).attempts + 1,
    pauseBeforeS: firstOfRun && i === 0 ? 0 : x.thermalGapS,
    config: targetConfig(e, (p) => executor.pathFor(backend, p))!,
  }));
  const resultsDir = executor.resultsDir(backend);
  // The gate folder lies under the campaign's results folder (a hidden one, which results commands skip).
  const gate = x.baselineGate
    ? { dir: `${resultsDir}/${x.campaignId}/${GATE_FOLDER}`, timeout_s: 2 * x.timeoutS }
    : undefined;
  const spec = buildBatchSpec(x.campaignId, batchId, resultsDir, items, gate);
  const state = initBatch({
    batchId,
    target: executor.targetName(backend),
    gpus: x.gpus,
    retries: x.retries,
    timeoutS: x.timeoutS,
    exps: readable.map((e) => ({
      id: e.id,
      attempts: x.store.entry(e.id).attempts,
      logPath: logs.pathFor(e.id),
      resultPath: relative(x.projectDir, hostResultPath(x.hostResults, x.campaignId, e.id)),
    })),
  });
  const metered = await x.meters?.start(readable);
  let r: Result<void>;
  try {
    r = await new BatchRun(x, backend, logs, state).run(spec);
  } finally {
    // Stopped whatever became of the batch (no poller outlives it); only completed attempts get figures.
    if (metered) for (const problem of await metered.finish(completedIn(x, items))) x.progress.note(problem);
    if (x.gpus) recordPlacement(x, executor.targetName(backend), x.gpus, items);
  }
  return r.ok ? ok(true) : r;
}

/** The batch's experiments whose dispatched attempt completed: their results get the host meters' figures. */
function completedIn(x: SupervisorContext, items: readonly SpecItem[]): FinishedExperiment[] {
  return items
    .filter(({ experiment: e, attempt }) => {
      const m = x.store.entry(e.id);
      return m.status === 'completed' && m.attempts === attempt;
    })
    .map(({ experiment: e }) => ({ ...e, resultPath: hostResultPath(x.hostResults, x.campaignId, e.id) }));
}

/** Each completed result of a pack placement says which GPU set (and container) it ran on. */
function recordPlacement(x: SupervisorContext, target: string, gpus: readonly number[], items: readonly SpecItem[]) {
  for (const e of completedIn(x, items)) {
    const w = x.baselineGate?.window(e.id);
    const isolated = w ? { isolated_baseline: { ...w } } : {};
    const r = rewriteResult(e.resultPath, (doc) => ({ ...doc, placement: { target, gpus: [...gpus], ...isolated } }));
    if (!r.ok) x.progress.note(`${e.id}: placement not recorded in its result: ${r.error.message}`);
  }
}

/** A prompts file is named by its host path; the harness must read it through a mount of the target. */
function failUnreadable(x: SupervisorContext, backend: string, batch: readonly StoredExperiment[]): StoredExperiment[] {
  const target = x.executor.targetName(backend);
  const out: StoredExperiment[] = [];
  for (const e of batch) {
    if (targetConfig(e, (p) => x.executor.pathFor(backend, p)) !== undefined) {
      out.push(e);
      continue;
    }
    const error =
      `prompts file ${e.config.prompts.file} is not inside a folder mounted into ${target} ` +
      '(put it under configs/, mounted at /app/configs)';
    x.store.update(e.id, { attempts: x.retries + 1, container: target });
    x.store.update(e.id, { status: 'failed', finished_at: new Date().toISOString(), error });
    x.progress.done(e.id, `failed: ${error}`);
  }
  return out;
}

/** One batch in flight: the reducer's state and the effects' machinery (events are handled one at a time). */
class BatchRun {
  private readonly queue: BatchEvent[] = [];
  private busy = false;
  private execDone = false;
  private readonly later: (() => Promise<void>)[] = [];
  private restart = false;
  private refusal: string | undefined;
  private readonly stopWatch = new AbortController();
  private readonly watchdog: Watchdog;

  constructor(
    private readonly x: SupervisorContext,
    private readonly backend: string,
    private readonly logs: ExperimentLogs,
    private state: BatchState,
  ) {
    this.watchdog = new Watchdog(
      x.timeoutS * 1000,
      (id) => this.dispatch({ kind: 'timeout', id, at: clockNow() }),
      this.stopWatch.signal,
    );
  }

  async run(spec: Parameters<Executor['runBatch']>[1]): Promise<Result<void>> {
    const onAbort = () => this.dispatch({ kind: 'abort', at: clockNow() });
    this.x.signal.addEventListener('abort', onAbort, { once: true });
    let r: Awaited<ReturnType<Executor['runBatch']>>;
    try {
      r = await this.x.executor.runBatch(this.backend, spec, this.logs, {
        onEvent: (event) => this.dispatch({ kind: 'harness', event, at: clockNow() }),
        onProtocolError: (line, why) => this.logs.write(`[lem] ignored stdout line (${why}): ${line}\n`),
      });
    } finally {
      this.execDone = true;
      this.stopWatch.abort();
      this.x.signal.removeEventListener('abort', onAbort);
    }
    if (!r.ok) {
      await this.logs.close();
      return r;
    }
    const busyWith = r.value.exitCode === HARNESS_BUSY_EXIT ? await this.otherHarness() : undefined;
    this.dispatch({ kind: 'exec-ended', exitCode: r.value.exitCode, busyWith, at: clockNow() });
    while (this.later.length > 0) await this.later.shift()!();
    await this.logs.close();
    if (this.refusal !== undefined) return err(lemError(ErrorCode.LOCKED, this.refusal));
    if (this.restart) {
      const ready = await this.x.executor.ensureReady(this.backend, this.x.signal, (w, ms, d) =>
        this.x.progress.waiting(w, ms, d),
      );
      if (!ready.ok && !this.x.signal.aborted) return ready;
    }
    return ok(undefined);
  }

  /** After a busy exit: the harness holding the target, in words (undefined when none is there). */
  private async otherHarness(): Promise<string | undefined> {
    const listed = await this.x.executor.listHarnesses(this.backend);
    const other = listed.ok ? listed.value.find((h) => h.batch_id !== this.state.batchId) : undefined;
    if (!other) return undefined;
    const whose = other.campaign_id === null ? 'an unknown campaign' : `campaign ${other.campaign_id}`;
    return `the harness (PID ${other.pid}) of ${whose}`;
  }

  private dispatch(ev: BatchEvent): void {
    this.queue.push(ev);
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const step = reduce(this.state, this.queue.shift()!);
        this.state = step.state;
        for (const effect of step.effects) this.carryOut(effect);
      }
    } finally {
      this.busy = false;
    }
  }

  private carryOut(e: Effect): void {
    const { store, progress } = this.x;
    switch (e.kind) {
      case 'patch':
        return store.update(e.id, e.patch);
      case 'phase':
        return progress.phase(e.id, e.text);
      case 'done':
        return progress.done(e.id, e.text);
      case 'note':
        return progress.note(e.text);
      case 'log':
        this.logs.write(e.text);
        return;
      case 'log-to':
        return this.logs.switchTo(e.id);
      case 'check-result':
        this.queue.push(resultChecked(this.x, e.id, e.attempt, clockNow()));
        return;
      case 'arm-timeout':
        return this.watchdog.arm(e.id);
      case 'disarm-timeout':
        return this.watchdog.disarm(e.id);
      case 'stop-batch':
        return this.stopBatch();
      case 'inspect-target':
        this.later.push(async () => {
          const fate = await this.x.executor.settle(this.backend, this.state.exit?.code ?? null);
          this.dispatch({ kind: 'target-inspected', alive: fate.alive, description: fate.description, at: clockNow() });
        });
        return;
      case 'restart-target':
        this.restart = true;
        return;
      case 'refuse':
        this.refusal = e.reason;
        return;
      case 'end':
        return;
    }
  }

  /** Asks the harness to stop; one that ignores the request gets its target stopped under it. */
  private stopBatch(): void {
    const { executor, progress } = this.x;
    const target = executor.targetName(this.backend);
    void executor.stopHarnesses(this.backend, this.state.batchId, 0).then((r) => {
      if (!r.ok) progress.note(`could not stop the harness in ${target}: ${r.error.message}`);
    });
    setTimeout(() => {
      if (this.execDone) return;
      void executor.forceStop(this.backend).then((r) => {
        if (!r.ok) progress.note(r.error.message);
      });
    }, this.x.stopGraceMs).unref();
  }
}
