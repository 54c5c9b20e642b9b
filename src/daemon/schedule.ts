import { createTask } from 'node-cron';
import type { Schedule } from '../config/campaign.js';
import type { LoadedCampaign } from '../config/load.js';

/**
 * Cron syntax and time zones are checked when a campaign file is loaded (config/schedule.ts), so the daemon,
 * `lem config validate` and `lem campaign plan` refuse the same schedules, at the same file and line.
 */

/** A campaign that the daemon will run, with its schedule known to be valid. */
export interface ScheduledCampaign {
  readonly campaign: LoadedCampaign;
  readonly schedule: Schedule;
}

/** The campaigns with a `schedule:`; campaigns without one are not the daemon's business. */
export function scheduledCampaigns(campaigns: readonly LoadedCampaign[]): ScheduledCampaign[] {
  return campaigns.flatMap((campaign) =>
    campaign.settings.schedule ? [{ campaign, schedule: campaign.settings.schedule }] : [],
  );
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
