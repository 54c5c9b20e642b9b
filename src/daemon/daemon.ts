import { createTask, type Logger } from 'node-cron';
import { remainingWork } from '../campaign/manifest.js';
import { LineProgress } from '../campaign/progress.js';
import { executeCampaign, openCampaign } from '../campaign/session.js';
import { ErrorCode, formatError } from '../core/errors.js';
import { inspectLock, lockPathIn } from '../core/pid-lock.js';
import { ok, type Result } from '../core/result.js';
import { cyclesIn, discardEmpty } from './cycles.js';
import { beginJob, cronLogger, iso, logOutcome, type Job } from './job.js';
import type { DaemonLog } from './log.js';
import { nextRun } from './schedule.js';
import { openSlots, type DaemonOptions, type Slot } from './slots.js';
import { saveState, type CycleOutcome, type DaemonState } from './state.js';

export type { DaemonOptions } from './slots.js';

/**
 * The daemon proper. One worker runs one cycle at a time across all campaigns, because experiments measure
 * energy and two at once would share (and spoil) the GPU; each campaign's cron ticks feed it according to the
 * campaign's overlap rule. Every decision is logged.
 */
export class Daemon {
  private readonly queue: Job[] = [];
  private current: Promise<void> | undefined;
  private readonly controller = new AbortController();
  private stopRequested: (() => void) | undefined;
  private readonly stopped: Promise<void>;
  private stopping = false;
  private keepAlive: NodeJS.Timeout | undefined;

  private constructor(
    private readonly o: DaemonOptions,
    private readonly log: DaemonLog,
    private readonly state: DaemonState,
    private readonly slots: readonly Slot[],
  ) {
    this.stopped = new Promise((r) => (this.stopRequested = r));
  }

  /** Opens (or creates) each scheduled campaign's long-lived campaign: see openSlots. */
  static open(o: DaemonOptions, log: DaemonLog): Result<Daemon> {
    const opened = openSlots(o, log);
    if (!opened.ok) return opened;
    return ok(new Daemon(o, log, opened.value.state, opened.value.slots));
  }

  /** Removes the empty campaigns this start created: called when the daemon fails before running a cycle. */
  discardCreated(): void {
    for (const slot of this.slots) {
      if (slot.opened.created === undefined || slot.store.current.experiments.length > 0) continue;
      discardEmpty(slot.opened);
      delete this.state.campaigns[slot.key];
      this.log.line(`${this.name(slot)}: removed the empty campaign ${slot.record.campaign_id} this start created`);
    }
    this.save();
  }

  /** Resumes interrupted cycles, starts the cron tasks and prints when each campaign runs next. */
  start(): void {
    this.keepAlive = setInterval(() => undefined, 1 << 30); // the daemon idles on purpose once cycles are done
    for (const slot of this.slots) {
      const left = remainingWork(slot.store.current, slot.plan.campaign.retries);
      if (left.length > 0) {
        const cycles = [...new Set(left.map((e) => e.cycle))].sort((a, b) => a - b);
        this.log.line(
          `${this.name(slot)}: ${left.length} experiment(s) of cycle ${cycles.join(', ')} not completed by an earlier run: resuming before the next scheduled time`,
        );
        this.enqueue({ slot, kind: 'resume', why: 'left by an earlier run' });
      }
      const max = slot.schedule.max_cycles;
      if (max !== undefined && cyclesIn(slot.store) >= max) {
        this.log.line(
          `${this.name(slot)}: max_cycles ${max} reached (${cyclesIn(slot.store)} cycles in campaign ${slot.record.campaign_id}): no more cycles will be scheduled`,
        );
        continue;
      }
      const logger = this.cronLogger(slot);
      slot.tasks = slot.schedule.cron.map((expression) => {
        const options = {
          name: `${slot.loaded.name}: ${expression}`,
          logger,
          ...(slot.schedule.timezone !== undefined ? { timezone: slot.schedule.timezone } : {}),
        };
        const task = createTask(expression, () => this.onTick(slot, expression), options);
        void task.start();
        return task;
      });
      const next = nextRun(slot.schedule.cron, slot.schedule.timezone);
      slot.record.next_run = iso(next);
      const tz = slot.schedule.timezone ? `, ${slot.schedule.timezone}` : '';
      const limit = max !== undefined ? ` of ${max}` : '';
      this.log.line(
        `${this.name(slot)}: campaign ${slot.record.campaign_id}, ${cyclesIn(slot.store)}${limit} cycle(s) so far; next run ${slot.record.next_run ?? 'never'} (cron ${slot.schedule.cron.map((c) => `"${c}"`).join(', ')}${tz}; overlap: ${slot.schedule.overlap})`,
      );
    }
    this.save();
    this.pump();
    this.exitIfDone();
  }

  /**
   * Once every campaign has reached max_cycles and nothing runs or waits, there is nothing left to schedule:
   * the daemon says so and stops (exit 0) instead of idling.
   */
  private exitIfDone(): void {
    if (this.stopping || this.current || this.queue.length > 0 || this.slots.some((s) => s.tasks.length > 0)) return;
    const left = this.slots.reduce((n, s) => n + remainingWork(s.store.current, s.plan.campaign.retries).length, 0);
    const unfinished = left > 0 ? ` (${left} experiment(s) left unfinished resume at the next start)` : '';
    this.log.line(`every scheduled campaign has run its max_cycles cycles${unfinished}`);
    this.stop('nothing left to schedule');
  }

  /** Resolves once a stop was requested and the running cycle (if any) has wound down. */
  async untilStopped(): Promise<void> {
    await this.stopped;
    await this.current;
    if (this.keepAlive) clearInterval(this.keepAlive);
  }

  /**
   * First signal: no new cycles; the running experiment is interrupted as `lem campaign run` does it (it is
   * marked interrupted and its cycle is resumed at the next start). Queued cycles were never appended, so
   * dropping them loses nothing.
   */
  stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const slot of this.slots) this.retire(slot);
    if (this.queue.length > 0)
      this.log.line(`dropping ${this.queue.length} queued run(s); an unfinished cycle resumes at the next start`);
    this.queue.length = 0;
    this.log.line(`${reason}: stopping${this.current ? ' (interrupting the running experiment)' : ''}`);
    this.controller.abort();
    this.save();
    this.stopRequested?.();
  }

  private name(slot: Slot): string {
    return slot.loaded.name;
  }

  private cronLogger(slot: Slot): Logger {
    return cronLogger(this.name(slot), this.log);
  }

  private waitingJobs(slot: Slot, kind?: Job['kind']): number {
    return this.queue.filter((j) => j.slot === slot && (kind === undefined || j.kind === kind)).length;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
  }

  /** Stops a campaign's cron tasks: it reached max_cycles, or the daemon is stopping. */
  private retire(slot: Slot): void {
    for (const t of slot.tasks) void t.destroy();
    slot.tasks = [];
    slot.record.next_run = null;
  }

  private nextRunOf(slot: Slot): string | null {
    const times = slot.tasks.map((t) => t.getNextRun()).filter((d): d is Date => d !== null);
    return iso(times.sort((a, b) => a.getTime() - b.getTime())[0]);
  }

  /** A scheduled time came: start a cycle, wait behind another campaign, or apply the overlap rule. */
  private onTick(slot: Slot, expression: string): void {
    if (this.stopping) return;
    const name = this.name(slot);
    const tick = `tick "${expression}"`;
    const max = slot.schedule.max_cycles;
    const waitingCycles = this.waitingJobs(slot, 'cycle');
    const planned = cyclesIn(slot.store) + waitingCycles;
    if (max !== undefined && planned >= max) {
      this.log.line(
        `${name}: ${tick} ignored: all ${max} cycles (max_cycles) are ${waitingCycles > 0 ? 'run or queued' : 'run'}`,
      );
    } else if (!slot.running && this.waitingJobs(slot) === 0) {
      const other = this.current ? this.slots.find((s) => s.running) : undefined;
      this.log.line(
        `${name}: ${tick}: cycle ${planned + 1} ${other ? `waits for the running cycle of ${this.name(other)} (one cycle runs at a time)` : 'starts'}`,
      );
      this.enqueue({ slot, kind: 'cycle', why: `${tick} at ${new Date().toISOString()}` });
    } else {
      const what = slot.running
        ? `cycle ${slot.record.last_cycle ?? '?'} is still running`
        : 'a run of this campaign is already waiting';
      if (slot.schedule.overlap === 'skip') {
        this.log.line(`${name}: ${tick} skipped: ${what} (overlap: skip)`);
      } else if (waitingCycles > 0) {
        this.log.line(`${name}: ${tick} merged into the cycle already queued: ${what} (overlap: queue)`);
      } else {
        this.log.line(
          `${name}: ${tick} queued: cycle ${planned + 1} runs when ${slot.running ? `cycle ${slot.record.last_cycle ?? '?'} finishes` : 'the waiting run is done'} (overlap: queue)`,
        );
        this.enqueue({ slot, kind: 'cycle', why: `queued by ${tick} at ${new Date().toISOString()}` });
      }
    }
    slot.record.next_run = this.nextRunOf(slot);
    this.save();
    this.pump();
  }

  /** Starts the next job if none runs. */
  private pump(): void {
    if (this.current || this.stopping) return;
    const job = this.queue.shift();
    if (!job) return;
    job.slot.running = true;
    this.current = this.runJob(job)
      .catch((e: unknown) => {
        // Not a Result: a bug or an I/O failure. The daemon keeps serving its other campaigns, and says so.
        this.log.line(
          `${this.name(job.slot)}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        this.finishRecord(job.slot, 'error', e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        job.slot.running = false;
        this.current = undefined;
        this.pump();
        this.exitIfDone();
      });
  }

  private async runJob(job: Job): Promise<void> {
    const { slot } = job;
    const name = this.name(slot);
    // Someone may be running this campaign by hand (lem campaign resume): then its manifest is theirs to write.
    const holder = inspectLock(lockPathIn(slot.store.dir), process.pid);
    if (holder.kind === 'held') {
      this.log.line(
        `${name}: campaign ${slot.record.campaign_id} is being run by PID ${holder.owner.pid}: this ${job.kind === 'cycle' ? 'tick' : 'resume'} is skipped`,
      );
      return;
    }
    // ...and may have changed it since the daemon last looked: work from what is on disk.
    const fresh = openCampaign(this.o.project, slot.record.campaign_id);
    if (!fresh.ok) {
      this.log.line(`${name}: cannot read campaign ${slot.record.campaign_id}: ${formatError(fresh.error)}`);
      this.finishRecord(slot, 'error', fresh.error.message);
      return;
    }
    slot.store = fresh.value.store;
    slot.plan = fresh.value.plan;
    const cycle = beginJob(job, name, this.log, {
      retire: (sl) => this.retire(sl),
      fail: (sl, detail) => this.finishRecord(sl, 'error', detail),
    });
    if (cycle === undefined) return;
    Object.assign(slot.record, {
      cycles: cyclesIn(slot.store),
      last_cycle: cycle,
      last_started_at: new Date().toISOString(),
      last_finished_at: null,
    });
    this.save();

    const progress = this.log.stream(`${name}: `);
    const r = await executeCampaign(this.o.docker, this.o.project, slot.store, slot.plan, {
      keepBackends: this.o.keepBackends,
      signal: this.controller.signal,
      progress: new LineProgress(progress),
      healthTimeoutMs: this.o.healthTimeoutMs,
    });
    progress.end();
    if (!r.ok) {
      // Refused by another orchestrator's lock: the manifest is that one's to write.
      if (r.error.code !== ErrorCode.LOCKED) slot.store.setStatus('failed');
      this.log.line(`${name}: cycle ${cycle} could not run: ${formatError(r.error)}`);
      this.log.line(`${name}: its experiments stay pending and run with the next cycle (or at the next start)`);
      this.finishRecord(slot, 'error', r.error.message);
      return;
    }
    const { interrupted } = r.value;
    const { outcome, detail } = logOutcome(name, cycle, r.value, this.log);
    this.finishRecord(slot, outcome, detail);
    if (!interrupted && !this.stopping && slot.tasks.length > 0)
      this.log.line(`${name}: next run ${slot.record.next_run ?? 'never'}`);
  }

  private finishRecord(slot: Slot, outcome: CycleOutcome, detail: string): void {
    Object.assign(slot.record, {
      cycles: cyclesIn(slot.store),
      last_finished_at: new Date().toISOString(),
      last_outcome: outcome,
      last_detail: detail,
      next_run: this.nextRunOf(slot),
    });
    this.save();
  }

  private save(): void {
    saveState(this.o.project.paths.hostState, this.state);
  }
}
