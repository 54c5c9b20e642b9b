import { createTask, validateDetailed } from 'node-cron';
import type { Schedule } from '../config/campaign.js';
import { locateCampaignPath, type LoadedCampaign } from '../config/load.js';
import { ErrorCode, lemError, type Issue } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * Schedules are checked here, before the daemon takes its lock or touches Docker: every bad expression and time
 * zone of every campaign is reported at once, each at the file and line it was written on.
 */

/** A campaign that the daemon will run, with its schedule known to be valid. */
export interface ScheduledCampaign {
  readonly campaign: LoadedCampaign;
  readonly schedule: Schedule;
}

/** Why node-cron refuses `expression`, or undefined when it accepts it (5 fields, or 6 with seconds first). */
export function cronProblem(expression: string): string | undefined {
  const v = validateDetailed(expression);
  if (v.valid) return undefined;
  return v.errors.map((e) => e.message).join('; ') || 'not a cron expression';
}

/** Intl is the authority on IANA zone names: it throws a RangeError on any zone it cannot resolve. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function scheduleIssues(c: LoadedCampaign, schedule: Schedule): Issue[] {
  const issues: Issue[] = [];
  // A single `cron: "..."` string is normalised to a list by the schema; locate() then stops at the cron key,
  // which is the line the expression is on.
  schedule.cron.forEach((expression, i) => {
    const why = cronProblem(expression);
    if (why !== undefined) {
      issues.push({ location: locateCampaignPath(c, ['schedule', 'cron', i]), path: `schedule.cron[${i}]`, message: `invalid cron expression "${expression}": ${why}` });
    }
  });
  if (schedule.timezone !== undefined) {
    const why = timezoneProblem(schedule.timezone);
    if (why !== undefined) {
      issues.push({ location: locateCampaignPath(c, ['schedule', 'timezone']), path: 'schedule.timezone', message: `unknown time zone "${schedule.timezone}" (${why}); use an IANA name such as Europe/London` });
    }
  }
  return issues;
}

/** Campaigns with a `schedule:`, each checked; campaigns without one are not the daemon's business. */
export function validateSchedules(campaigns: readonly LoadedCampaign[]): Result<ScheduledCampaign[]> {
  const out: ScheduledCampaign[] = [];
  const issues: Issue[] = [];
  for (const c of campaigns) {
    const schedule = c.settings.schedule;
    if (!schedule) continue;
    const found = scheduleIssues(c, schedule);
    if (found.length > 0) issues.push(...found);
    else out.push({ campaign: c, schedule });
  }
  if (issues.length > 0) {
    return err(lemError(ErrorCode.SCHEDULE_INVALID, `${issues.length} invalid schedule setting${issues.length === 1 ? '' : 's'}`, {
      issues,
      hint: 'cron has 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 */30 * * * *"',
    }));
  }
  return ok(out);
}

/**
 * The next time any of `expressions` fires after now, in `timezone` (the daemon's zone when absent). node-cron
 * computes it for a task that is created but never started, so nothing is scheduled by asking.
 */
export function nextRun(expressions: readonly string[], timezone: string | undefined): Date | undefined {
  let best: Date | undefined;
  for (const expression of expressions) {
    const task = createTask(expression, () => undefined, timezone === undefined ? {} : { timezone });
    try {
      const next = task.getNextRuns(1)[0];
      if (next && (!best || next < best)) best = next;
    } finally {
      // A created task sits in node-cron's registry until destroyed.
      void task.destroy();
    }
  }
  return best;
}
