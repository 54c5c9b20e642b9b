import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { ManifestStore } from '../../campaign/manifest-store.js';
import type { ProgressReporter } from '../../campaign/progress.js';
import { hostResultPath, resultChecked } from '../../campaign/run/result-check.js';
import {
  initBatch,
  isTerminal,
  reduce,
  type BatchEvent,
  type BatchState,
  type Effect,
} from '../../campaign/run/reducer.js';
import { clockNow } from '../../campaign/run/supervisor.js';
import { Watchdog } from '../../campaign/run/watchdog.js';
import type { HarnessEvent } from '../../contract/events.js';
import type { JobInfo } from '../job-state.js';
import { EventsTail } from './events-tail.js';
import type { SubmittedBatch } from './job-records.js';

export interface WatchContext {
  readonly store: ManifestStore;
  readonly progress: ProgressReporter;
  readonly campaignId: string;
  readonly projectDir: string;
  readonly hostResults: string;
  readonly retries: number;
  readonly timeoutS: number;
  /** Cancels the batch's job (a timed-out experiment, or Ctrl-C with cancelling asked for). */
  readonly cancel: (jobId: string) => void;
}

/** What a job's end means for its harness: exit code, and whether the job was taken away from under it. */
export function jobEnd(job: JobInfo | undefined): { exitCode: number | null; alive: boolean; description: string } {
  if (!job) return { exitCode: null, alive: false, description: 'the job is no longer known to Slurm' };
  const code = job.exitCode === null ? null : Number(job.exitCode.split(':')[0]);
  const why = job.reason === null ? '' : `, reason ${job.reason}`;
  return {
    exitCode: job.phase === 'completed' ? 0 : Number.isInteger(code) ? code : null,
    // The harness ran to its own end (success or its own error); anything else ended the job under it.
    alive: job.phase === 'completed' || job.phase === 'failed',
    description: `Slurm job ${job.jobId} ended ${job.state}${why}`,
  };
}

/** The reducer treats a reason starting "interrupted" as no attempt spent. */
const cancelledReason = (description: string) =>
  `interrupted: ${description}, cancelled outside lem (scancel); not a failed attempt, submitted again`;

/**
 * One batch job, followed from the shared filesystem: the harness's events (read from the job's events file)
 * and the job's end (from the controller) are folded through the same pure reducer as a local exec, and its
 * effects carried out here, so the manifest, retries and result checks are those of a local run.
 */
export class BatchWatch {
  private state: BatchState;
  private readonly tail: EventsTail;
  private readonly queue: BatchEvent[] = [];
  private readonly stopWatch = new AbortController();
  private readonly watchdog: Watchdog;
  private readonly lemLog: string;
  private cancelled = false;
  private aborted = false;
  private where: string | undefined;
  /** "interrupted" failures the harness reported, held until the job's end says who interrupted it. */
  private held: Extract<HarnessEvent, { event: 'failed' }>[] = [];

  constructor(
    private readonly x: WatchContext,
    readonly record: SubmittedBatch,
  ) {
    const logPath = relative(x.projectDir, record.log);
    // Experiments completed before lem re-attached are not the batch's to report again.
    const exps = record.experiments
      .filter((e) => x.store.entry(e.id).status !== 'completed')
      .map((e) => ({
        id: e.id,
        attempts: e.attempts,
        logPath,
        resultPath: relative(x.projectDir, hostResultPath(x.hostResults, x.campaignId, e.id)),
      }));
    this.state = initBatch({
      batchId: record.batch_id,
      target: `slurm job ${record.job_id}`,
      retries: x.retries,
      timeoutS: x.timeoutS,
      exps,
    });
    this.tail = new EventsTail(record.events);
    this.lemLog = record.log.replace(/\.log$/, '.lem.log');
    this.watchdog = new Watchdog(
      x.timeoutS * 1000,
      (id) => this.dispatch({ kind: 'timeout', id, at: clockNow() }),
      this.stopWatch.signal,
    );
  }

  get jobId(): string {
    return this.record.job_id;
  }

  get ended(): boolean {
    return this.state.ended;
  }

  get isPlaced(): boolean {
    return this.where !== undefined;
  }

  get hasWork(): boolean {
    return this.state.exps.length > 0;
  }

  /** Where the job runs, once Slurm placed it: recorded in the manifest (`container`) of what starts after. */
  placed(job: JobInfo): void {
    if (job.nodes === null) return;
    const gpus = job.gpuIndices.length > 0 ? `, GPU ${job.gpuIndices.join(',')}` : '';
    this.where = `slurm job ${job.jobId} on ${job.nodes}${gpus}`;
    // The GPU indices Slurm gave the job go into the manifest's `gpus`, as a pack placement's GPU set does.
    const gpuSet = job.gpuIndices.length > 0 ? { gpus: [...job.gpuIndices] } : {};
    this.state = { ...this.state, target: this.where, ...gpuSet };
  }

  /** Folds the events written since the last poll; with `job` finished, the rest of the file and the end. */
  poll(job: JobInfo | undefined, finished: boolean): void {
    for (const item of this.tail.read(finished)) {
      if (item.kind === 'bad') this.log(`[lem] ignored stdout line (${item.why}): ${item.line}\n`);
      else if (item.event.event === 'failed' && item.event.reason.startsWith('interrupted')) this.held.push(item.event);
      else this.dispatch({ kind: 'harness', event: item.event, at: clockNow() });
    }
    if (!finished) return;
    const end = jobEnd(job);
    // A job cancelled by someone other than lem (a user's scancel) is cancelled, not failed: what it had not
    // finished is interrupted, no attempt spent, and submitted again. lem's own cancels (Ctrl-C, or an
    // experiment's timeout) are told apart by `aborted`/`cancelled`. Timed out, preempted, a lost node: the
    // harness's "interrupted" becomes a failed attempt, retried per `retries`, so a batch that always overruns
    // its time limit cannot loop for ever.
    const userCancel = job?.phase === 'cancelled' && !this.aborted && !this.cancelled;
    for (const ev of this.held.splice(0)) {
      const reason = this.aborted
        ? ev.reason
        : userCancel
          ? cancelledReason(end.description)
          : `${end.description} (the harness: ${ev.reason})`;
      this.dispatch({ kind: 'harness', event: { ...ev, reason }, at: clockNow() });
    }
    if (userCancel) {
      this.x.progress.note(
        `Slurm job ${this.record.job_id} was cancelled outside lem (scancel): ` +
          'what it had not finished is interrupted, not failed, and submitted again',
      );
      this.interruptAll(cancelledReason(end.description));
    } else if (!end.alive && !this.aborted) this.failUnder(end.description);
    this.dispatch({ kind: 'exec-ended', exitCode: end.exitCode, at: clockNow() });
    // The reducer asks to inspect the target when the exit leaves something to explain. Every batch job has a
    // container of its own, so there is never a target to restart: what the job's end took away failed above.
    if (!this.state.ended)
      this.dispatch({ kind: 'target-inspected', alive: true, description: end.description, at: clockNow() });
    this.stopWatch.abort();
  }

  /**
   * A job that ended under its harness (cancelled by someone else, timed out, preempted, its node lost, gone)
   * fails what it had started, with the job's end as the reason; when it had started nothing, every experiment
   * of it spends an attempt, as a local exec that started nothing does.
   */
  private failUnder(description: string): void {
    const startedAny = this.state.exps.some((e) => e.startedAtMs !== undefined);
    for (const e of this.state.exps) {
      if (isTerminal(e.phase) || (startedAny && e.startedAtMs === undefined)) continue;
      const reason = startedAny ? description : `${description}; no experiment of the batch started`;
      const event = { event: 'failed' as const, experiment_id: e.id, ts: Date.now() / 1000, reason };
      this.dispatch({ kind: 'harness', event, at: clockNow() });
    }
  }

  /** Every experiment of the batch not yet finished is interrupted (it runs again; no attempt is spent). */
  private interruptAll(reason: string): void {
    for (const e of this.state.exps) {
      if (isTerminal(e.phase)) continue;
      const event = { event: 'failed' as const, experiment_id: e.id, ts: Date.now() / 1000, reason };
      this.dispatch({ kind: 'harness', event, at: clockNow() });
    }
  }

  /** Ctrl-C with cancelling asked for: what the job started is interrupted (not a failed attempt). */
  abort(): void {
    this.aborted = true;
    this.dispatch({ kind: 'abort', at: clockNow() });
  }

  /** Stops the watchdog when lem leaves the job running (Ctrl-C without cancelling). */
  detach(): void {
    this.stopWatch.abort();
  }

  private dispatch(ev: BatchEvent): void {
    this.queue.push(ev);
    while (this.queue.length > 0) {
      const step = reduce(this.state, this.queue.shift()!);
      this.state = step.state;
      for (const effect of step.effects) this.carryOut(effect);
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
        return this.log(e.text);
      case 'check-result':
        this.queue.push(resultChecked(this.x, e.id, e.attempt, clockNow()));
        return;
      case 'arm-timeout':
        return this.watchdog.arm(e.id);
      case 'disarm-timeout':
        return this.watchdog.disarm(e.id);
      case 'stop-batch':
        if (!this.cancelled) this.x.cancel(this.record.job_id);
        this.cancelled = true;
        return;
      case 'refuse':
        return progress.note(e.reason);
      // Every batch job starts its own container: no target to restart, and the job's state already said why.
      case 'log-to':
      case 'inspect-target':
      case 'restart-target':
      case 'end':
        return;
    }
  }

  /** lem's own notes about the batch, beside the job's log. */
  private log(text: string): void {
    appendFileSync(this.lemLog, text);
  }
}
