import { rmSync } from 'node:fs';
import { pendingEntry } from '../campaign/manifest.js';
import type { ManifestStore } from '../campaign/manifest-store.js';
import type { PlannedExperiment } from '../campaign/plan.js';
import { experimentId, planCampaign } from '../campaign/planner.js';
import { createCampaign, openCampaign } from '../campaign/session.js';
import type { Project } from '../project/project.js';
import { savePlan, StoredPlan } from '../campaign/stored-plan.js';
import type { LoadedCampaign } from '../config/load.js';
import { ErrorCode } from '../core/errors.js';
import { ok, type Result } from '../core/result.js';

/**
 * A scheduled campaign is one long-lived campaign that grows by one cycle per scheduled run, so its cycles
 * aggregate in one manifest and one results folder. These are the steps that create and grow it.
 */

/** Cycles a campaign holds so far: the highest cycle number in its manifest (0 for a new one). */
export function cyclesIn(store: ManifestStore): number {
  return store.current.experiments.reduce((max, e) => Math.max(max, e.cycle), 0);
}

/**
 * Cycle `cycle` of the campaign, numbered to follow the experiments already there. Planning with `cycle` cycles
 * and keeping the last is what gives a shuffled campaign the order of that cycle (its seed mixes in the cycle).
 */
export function cycleExperiments(loaded: LoadedCampaign, cycle: number, firstIndex: number): PlannedExperiment[] {
  const plan = planCampaign({ ...loaded, settings: { ...loaded.settings, cycles: cycle } });
  return plan.experiments
    .filter((e) => e.cycle === cycle)
    .map((e, i) => {
      const index = firstIndex + i;
      return { ...e, index, id: experimentId(index, cycle, e.backend, e.config_hash) };
    });
}

/**
 * Appends the next cycle to the campaign: plan.json first (atomically), then the manifest (one journal record).
 * The manifest is the commit point: a crash in between leaves plan entries no manifest knows, which the runner
 * never looks at and the next append drops, so the cycle is simply appended again.
 */
export function appendCycle(
  store: ManifestStore,
  plan: StoredPlan,
  loaded: LoadedCampaign,
): Result<{ plan: StoredPlan; cycle: number; added: number }> {
  const cycle = cyclesIn(store) + 1;
  const firstIndex = store.current.experiments.reduce((max, e) => Math.max(max, e.index + 1), 0);
  const added = cycleExperiments(loaded, cycle, firstIndex);
  const inManifest = new Set(store.current.experiments.map((e) => e.id));
  const kept = plan.experiments.filter((e) => inManifest.has(e.id));
  const next = StoredPlan.parse({
    campaign: { ...plan.campaign, cycles: cycle, run_count: kept.length + added.length },
    experiments: [...kept, ...added],
  });
  savePlan(store.dir, next);
  const appended = store.appendExperiments(added.map(pendingEntry));
  if (!appended.ok) return appended;
  return ok({ plan: next, cycle, added: added.length });
}

export interface OpenedCampaign {
  readonly store: ManifestStore;
  readonly plan: StoredPlan;
  /** Why a new campaign was created, when one was. */
  readonly created: string | undefined;
}

/**
 * The campaign recorded for a scheduled file, if it still exists: undefined (with why) when none was recorded
 * or its folder is gone; an error when it is there but cannot be read (it is never silently replaced).
 */
export function openRecorded(
  project: Project,
  recordedId: string | undefined,
): Result<OpenedCampaign | { readonly missing: string }> {
  if (recordedId === undefined) return ok({ missing: 'first start' });
  const opened = openCampaign(project, recordedId);
  if (opened.ok) return ok({ ...opened.value, created: undefined });
  if (opened.error.code !== ErrorCode.CAMPAIGN_NOT_FOUND) return opened;
  return ok({ missing: `campaign ${recordedId} no longer exists` });
}

/** A new, empty campaign for a scheduled file (no experiments until the first cycle is appended). */
export function createEmpty(project: Project, loaded: LoadedCampaign, why: string): OpenedCampaign {
  const base = planCampaign({ ...loaded, settings: { ...loaded.settings, cycles: 1 } });
  const plan = StoredPlan.parse({ campaign: { ...base.campaign, cycles: 0, run_count: 0 }, experiments: [] });
  const store = createCampaign(project, plan, loaded.path);
  return { store, plan, created: why };
}

/** The campaign a scheduled file maps to: the recorded one, or a new, empty one. */
export function openOrCreate(
  project: Project,
  loaded: LoadedCampaign,
  recordedId: string | undefined,
): Result<OpenedCampaign> {
  const recorded = openRecorded(project, recordedId);
  if (!recorded.ok) return recorded;
  return ok('missing' in recorded.value ? createEmpty(project, loaded, recorded.value.missing) : recorded.value);
}

/**
 * Removes a campaign this start created that never received a cycle: a daemon that fails to start must not
 * leave an empty "planned 0/0" campaign behind.
 */
export function discardEmpty(opened: OpenedCampaign): void {
  if (opened.created === undefined || opened.store.current.experiments.length > 0) return;
  rmSync(opened.store.dir, { recursive: true, force: true });
}
