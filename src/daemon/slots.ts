import type Docker from 'dockerode';
import type { ManifestStore } from '../campaign/manifest-store.js';
import type { Project } from '../project/project.js';
import type { StoredPlan } from '../campaign/stored-plan.js';
import type { Schedule } from '../config/campaign.js';
import type { LoadedCampaign } from '../config/load.js';
import { ok, type Result } from '../core/result.js';
import type { ScheduledTask } from 'node-cron';
import { createEmpty, openRecorded, type OpenedCampaign } from './cycles.js';
import type { DaemonLog } from './log.js';
import type { ScheduledCampaign } from './schedule.js';
import { loadState, saveState, scheduledRecord, type DaemonState, type ScheduledRecord } from './state.js';

export interface DaemonOptions {
  readonly docker: Docker;
  readonly project: Project;
  readonly scheduled: readonly ScheduledCampaign[];
  readonly keepBackends: boolean;
  readonly healthTimeoutMs: number;
  /** Where log lines are echoed (the terminal); they always go to .state/daemon/daemon.log too. */
  readonly echo: NodeJS.WritableStream;
}

/** A scheduled campaign at run time: its campaign, its cron tasks, and whether a cycle of it runs or waits. */
export interface Slot {
  readonly key: string;
  readonly loaded: LoadedCampaign;
  readonly schedule: Schedule;
  store: ManifestStore;
  plan: StoredPlan;
  tasks: ScheduledTask[];
  running: boolean;
  record: ScheduledRecord;
  /** How the campaign was found at start: opened, or created by this start. */
  readonly opened: OpenedCampaign;
}

/**
 * Opens (or creates) each scheduled campaign's long-lived campaign and records the mapping durably. Every
 * recorded campaign is opened before any new one is created, so a campaign that cannot be read stops the
 * start before it has made anything; a slot's `opened.created` says whether this start made its campaign.
 */
export function openSlots(o: DaemonOptions, log: DaemonLog): Result<{ state: DaemonState; slots: Slot[] }> {
  const hostState = o.project.paths.hostState;
  const loadedState = loadState(hostState);
  if (!loadedState.ok) return loadedState;
  const state = loadedState.value;
  // Files not scheduled this time keep their mapping (a later start picks their campaign up again) but have
  // no next run.
  for (const r of Object.values(state.campaigns)) r.next_run = null;
  const recorded: (OpenedCampaign | { readonly missing: string })[] = [];
  for (const { campaign } of o.scheduled) {
    const r = openRecorded(o.project, state.campaigns[campaign.path]?.campaign_id);
    if (!r.ok) return r;
    recorded.push(r.value);
  }
  const slots: Slot[] = [];
  o.scheduled.forEach(({ campaign, schedule }, i) => {
    const found = recorded[i]!;
    const opened = 'missing' in found ? createEmpty(o.project, campaign, found.missing) : found;
    const { store, plan, created } = opened;
    if (created !== undefined)
      log.line(`${campaign.name}: new campaign ${store.current.campaign_id} for ${campaign.path} (${created})`);
    const record = scheduledRecord(state.campaigns[campaign.path], store, schedule, campaign.name);
    state.campaigns[campaign.path] = record;
    slots.push({
      key: campaign.path,
      loaded: campaign,
      schedule,
      store,
      plan,
      tasks: [],
      running: false,
      record,
      opened,
    });
  });
  // The mapping is on disk before any cycle runs, so every cycle of a file lands in the same campaign.
  saveState(hostState, state);
  return ok({ state, slots });
}
