import type { Logger } from 'node-cron';
import { remainingWork } from '../campaign/manifest.js';
import type { RunOutcome } from '../campaign/runner.js';
import { formatError } from '../core/errors.js';
import { appendCycle, cyclesIn } from './cycles.js';
import type { DaemonLog } from './log.js';
import type { Slot } from './slots.js';
import type { CycleOutcome } from './state.js';

/** A unit of work for the daemon's single worker: a new cycle, or finishing what an interrupted one left. */
export interface Job {
  readonly slot: Slot;
  readonly kind: 'cycle' | 'resume';
  /** Said in the log when the job starts, e.g. which tick asked for it. */
  readonly why: string;
}

/**
 * Decides which cycle a job runs: a new cycle is appended to the campaign (unless max_cycles is reached), a
 * resume picks up the oldest unfinished cycle. Undefined when there is nothing to run; every decision is logged.
 */
export function beginJob(
  job: Job,
  name: string,
  log: DaemonLog,
  on: { retire(slot: Slot): void; fail(slot: Slot, detail: string): void },
): number | undefined {
  const { slot } = job;
  const max = slot.schedule.max_cycles;
  if (job.kind === 'resume') {
    const left = remainingWork(slot.store.current, slot.plan.campaign.retries);
    const cycle = Math.min(...left.map((e) => e.cycle), cyclesIn(slot.store));
    log.line(
      `${name}: resuming cycle ${cycle} of campaign ${slot.record.campaign_id} (${left.length} experiment(s) to run; ${job.why})`,
    );
    return cycle;
  }
  if (max !== undefined && cyclesIn(slot.store) >= max) {
    log.line(`${name}: max_cycles ${max} reached: not starting another cycle`);
    return undefined;
  }
  const appended = appendCycle(slot.store, slot.plan, slot.loaded);
  if (!appended.ok) {
    log.line(`${name}: cannot add a cycle: ${formatError(appended.error)}`);
    on.fail(slot, appended.error.message);
    return undefined;
  }
  slot.plan = appended.value.plan;
  const cycle = appended.value.cycle;
  const of = max !== undefined ? ` of ${max}` : '';
  log.line(
    `${name}: cycle ${cycle}${of} starts: ${appended.value.added} experiment(s) appended to campaign ${slot.record.campaign_id} (${job.why})`,
  );
  if (max !== undefined && cycle >= max) {
    on.retire(slot);
    log.line(`${name}: max_cycles ${max} reached: this is the last cycle; no more will be scheduled`);
  }
  return cycle;
}

/** Logs how a cycle ended, with the campaign's totals and every failure; returns what the record keeps. */
export function logOutcome(
  name: string,
  cycle: number,
  run: RunOutcome,
  log: DaemonLog,
): { outcome: CycleOutcome; detail: string } {
  const { counts: c, interrupted } = run;
  const outcome: CycleOutcome = interrupted ? 'interrupted' : c.failed > 0 ? 'failed' : 'completed';
  const notRun = c.interrupted + c.pending + c.running;
  const detail = `campaign totals: ${c.completed} completed, ${c.failed} failed, ${notRun} not run, of ${c.total}`;
  log.line(
    `${name}: cycle ${cycle} ${outcome} (${detail})${interrupted ? '; it resumes when the daemon starts again' : ''}`,
  );
  for (const f of run.failures) log.line(`${name}:   failed ${f.id}: ${f.error}${f.log ? ` (log: ${f.log})` : ''}`);
  return { outcome, detail };
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** node-cron's own messages go to the daemon log, named by campaign. */
export function cronLogger(name: string, log: DaemonLog): Logger {
  const say = (level: string) => (m: string | Error, e?: Error) =>
    log.line(`${name}: node-cron ${level}: ${m instanceof Error ? m.message : m}${e ? ` (${e.message})` : ''}`);
  return { info: say('info'), warn: say('warning'), error: say('error'), debug: () => undefined };
}
