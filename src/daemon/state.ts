import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { lockPathIn } from '../core/pid-lock.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/** Everything the daemon keeps lives in .state/daemon/ of the project. */
export function daemonDir(hostState: string): string {
  return join(hostState, 'daemon');
}
export const lockFile = (hostState: string): string => lockPathIn(daemonDir(hostState));
export const logFile = (hostState: string): string => join(daemonDir(hostState), 'daemon.log');
export const stateFile = (hostState: string): string => join(daemonDir(hostState), 'state.json');

export const CycleOutcome = z.enum(['completed', 'failed', 'interrupted', 'error']);
export type CycleOutcome = z.infer<typeof CycleOutcome>;

/**
 * One scheduled campaign file and the single long-lived campaign its cycles go into. The campaign id is the
 * durable part (cycles aggregate in it across daemon restarts); the rest is what `lem daemon status` shows.
 */
export const ScheduledRecord = z.strictObject({
  campaign_id: z.string(),
  name: z.string(),
  /** The cron expressions and zone as last loaded, for status output. */
  cron: z.array(z.string()),
  timezone: z.string().nullable(),
  overlap: z.enum(['queue', 'skip']),
  max_cycles: z.int().positive().nullable(),
  /** Cycles appended to the campaign so far (the highest cycle number in its manifest). */
  cycles: z.int().nonnegative(),
  last_started_at: z.string().nullable(),
  last_finished_at: z.string().nullable(),
  /** Which cycle the last run worked on (a resumed run finishes an earlier cycle). */
  last_cycle: z.int().nonnegative().nullable(),
  last_outcome: CycleOutcome.nullable(),
  last_detail: z.string().nullable(),
  /** Only meaningful while a daemon runs; null once max_cycles is reached. */
  next_run: z.string().nullable(),
});
export type ScheduledRecord = z.infer<typeof ScheduledRecord>;

export const DaemonState = z.strictObject({
  schema_version: z.literal(1),
  /** Keyed by the absolute path of the campaign file: the file is the schedule's identity. */
  campaigns: z.record(z.string(), ScheduledRecord),
});
export type DaemonState = z.infer<typeof DaemonState>;

export function emptyState(): DaemonState {
  return { schema_version: 1, campaigns: {} };
}

export function loadState(hostState: string): Result<DaemonState> {
  const file = stateFile(hostState);
  if (!existsSync(file)) return ok(emptyState());
  try {
    const parsed = DaemonState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success)
      return err(
        lemError(ErrorCode.STATE_CORRUPT, `${file} is not valid daemon state: ${parsed.error.issues[0]?.message}`),
      );
    return ok(parsed.data);
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `cannot read ${file}: ${(e as Error).message}`));
  }
}

/** Written atomically: a crash leaves the previous state, never a torn one (the campaign mapping is in here). */
export function saveState(hostState: string, state: DaemonState): void {
  mustWrite(writeFileAtomic(stateFile(hostState), JSON.stringify(state, null, 2) + '\n'));
}

/**
 * The record of a scheduled file at daemon start: its schedule as loaded now, and the history of its last
 * run kept only when the campaign is still the one recorded before.
 */
export function scheduledRecord(
  prior: ScheduledRecord | undefined,
  store: {
    readonly current: { readonly campaign_id: string; readonly experiments: readonly { readonly cycle: number }[] };
  },
  schedule: {
    readonly cron: string[];
    readonly timezone?: string | undefined;
    readonly overlap: 'queue' | 'skip';
    readonly max_cycles?: number | undefined;
  },
  name: string,
): ScheduledRecord {
  const id = store.current.campaign_id;
  const same = prior?.campaign_id === id;
  return {
    campaign_id: id,
    name,
    cron: schedule.cron,
    timezone: schedule.timezone ?? null,
    overlap: schedule.overlap,
    max_cycles: schedule.max_cycles ?? null,
    cycles: store.current.experiments.reduce((max, e) => Math.max(max, e.cycle), 0),
    last_started_at: same ? prior.last_started_at : null,
    last_finished_at: same ? prior.last_finished_at : null,
    last_cycle: same ? prior.last_cycle : null,
    last_outcome: same ? prior.last_outcome : null,
    last_detail: same ? prior.last_detail : null,
    next_run: null,
  };
}
