import { join } from 'node:path';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { backendContainers, type Project } from '../project/project.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { EXTERNAL_BACKEND } from '../config/backends.js';
import { ByBackendExecutor, ExternalServeExecutor } from '../serve/external-executor.js';
import { ServedExecutor } from '../serve/served-executor.js';
import { newCampaignId } from './campaign-id.js';
import { countStatuses, pendingEntry, remainingWork, type Manifest } from './manifest.js';
import { acquireLock, lockPathIn, releaseLock } from '../core/pid-lock.js';
import { ManifestStore } from './manifest-store.js';
import type { ProgressReporter } from './progress.js';
import { LocalDockerExecutor } from './run/local-docker-executor.js';
import { guardTargets } from './run/recovery.js';
import { batchMeters, preflightMeters } from '../meters/run-meters.js';
import { CampaignRunner, type RunOutcome } from './runner.js';
import { loadPlan, savePlan, type StoredPlan } from './stored-plan.js';
import { readOwned } from './owned-targets.js';
import { executePacked } from './packed-session.js';

/** Freezes a plan into a new campaign folder: plan.json plus a manifest with every experiment pending. */
export function createCampaign(project: Project, plan: StoredPlan, campaignFile: string): ManifestStore {
  const id = newCampaignId(plan.campaign.name);
  const dir = ManifestStore.campaignDir(project.paths.hostState, id);
  savePlan(dir, plan);
  const now = new Date().toISOString();
  const manifest: Manifest = {
    schema_version: 1,
    campaign_id: id,
    campaign_name: plan.campaign.name,
    campaign_file: campaignFile,
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'planned',
    experiments: plan.experiments.map(pendingEntry),
  };
  return ManifestStore.create(dir, manifest);
}

export function openCampaign(project: Project, campaignId: string): Result<{ store: ManifestStore; plan: StoredPlan }> {
  const store = ManifestStore.open(project.paths.hostState, campaignId);
  if (!store.ok) {
    // A campaign that is there but unreadable says why (file and line); only a missing one is "not found".
    if (store.error.code !== ErrorCode.CAMPAIGN_NOT_FOUND) return store;
    return err(
      lemError(
        ErrorCode.CAMPAIGN_NOT_FOUND,
        `no campaign "${campaignId}" in ${join(project.paths.hostState, 'campaigns')}`,
        { hint: 'list campaigns with: lem campaign list' },
      ),
    );
  }
  const plan = loadPlan(store.value.dir);
  if (!plan.ok) return plan;
  return ok({ store: store.value, plan: plan.value });
}

/** How long a stopping harness may take before it is killed. */
const stopGraceMs = 10_000;

export interface ExecuteOptions {
  readonly keepBackends: boolean;
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
  readonly healthTimeoutMs: number;
  /** With `executor: slurm`, Ctrl-C/SIGTERM cancels the campaign's jobs instead of leaving them for a resume. */
  readonly cancelJobsOnInterrupt?: boolean;
}

/**
 * Brings up the backends the remaining work needs, runs it, and tears down what this run started (unless
 * keepBackends). Backends that were already up before the run are left as they were.
 */
export async function executeCampaign(
  docker: Docker,
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: ExecuteOptions,
): Promise<Result<RunOutcome>> {
  // One orchestrator per campaign: two would dispatch the same experiments and interleave journal records.
  const lockFile = lockPathIn(store.dir);
  const lock = acquireLock(lockFile, process.pid, {
    holder: `run of campaign ${store.current.campaign_id}`,
    hint: (o) =>
      `the campaign is being run by PID ${o.pid} (lem campaign run/resume or lem daemon); wait for it, or stop it with: kill ${o.pid}`,
  });
  if (!lock.ok) return lock;
  try {
    const executor = (plan.campaign as { executor?: string }).executor;
    if (executor === 'slurm') return await executeOnSlurm(project, store, plan, opts);
    return await executeLocked(docker, project, store, plan, opts);
  } finally {
    const released = releaseLock(lockFile);
    if (!released.ok) opts.progress.note(`warning: ${released.error.message}`);
  }
}

/** Batches as Slurm jobs (src/slurm/run): no backend container on this machine. */
async function executeOnSlurm(
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: ExecuteOptions,
): Promise<Result<RunOutcome>> {
  const [{ SlurmCampaign }, { slurmCommands }] = await Promise.all([
    import('../slurm/run/slurm-campaign.js'),
    import('../slurm/commands.js'),
  ]);
  const { progress, signal } = opts;
  const cancelOnInterrupt = opts.cancelJobsOnInterrupt ?? true;
  const run = new SlurmCampaign({ slurm: slurmCommands(), project, store, plan, progress, signal, cancelOnInterrupt });
  try {
    return await run.run();
  } finally {
    progress.end();
  }
}

async function executeLocked(
  docker: Docker,
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: ExecuteOptions,
): Promise<Result<RunOutcome>> {
  // Host meters the configs name must be readable before any backend starts (an unreadable one stops the run).
  const metersReadable = await preflightMeters(plan.experiments, project.env);
  if (!metersReadable.ok) return metersReadable;
  if (plan.campaign.placement === 'pack') return executePacked(docker, project, store, plan, { ...opts, stopGraceMs });
  const needed = new Set(remainingWork(store.current, plan.campaign.retries).map((e) => e.backend));
  // A stale `running` experiment may belong to a backend with nothing else left; its container is needed too.
  for (const e of store.current.experiments) if (e.status === 'running') needed.add(e.backend);
  // Serve experiments against external endpoints run in lem itself: no container for them.
  const containers = backendContainers(docker, project, new Set([...needed].filter((b) => b !== EXTERNAL_BACKEND)));
  if (!containers.ok) return containers;
  const { local, executor } = buildExecutors(project, store, containers.value, opts);

  // Backends this campaign brought up (recorded durably, so a resumed run after a kill still tears them down);
  // backends that were already running before the campaign are left as they were.
  const ownedFile = join(store.dir, 'owned-backends.json');
  const owned = readOwned(ownedFile);
  if (!owned.ok) return owned;
  const teardown = async () => {
    // A server lem started holds its GPU: stopped at the end of the run even where the container stays.
    await local.stopServers();
    if (opts.keepBackends) return;
    for (const backend of needed) {
      if (!owned.value.has(backend)) continue;
      const r = await executor.release(backend);
      if (!r.ok) opts.progress.note(`warning: ${r.error.message}`);
    }
  };

  const before = new Map<string, 'created' | 'started' | 'already-running'>();
  for (const backend of needed) {
    const up = await executor.prepare(backend);
    if (!up.ok) {
      await teardown();
      return up;
    }
    before.set(backend, up.value);
    if (up.value !== 'already-running' && !owned.value.has(backend)) {
      owned.value.add(backend);
      mustWrite(writeFileAtomic(ownedFile, JSON.stringify([...owned.value])));
    }
  }
  // Nothing else runs in a target (not even the harness warm-up) before it is known that no harness measures there.
  const campaignId = store.current.campaign_id;
  const backends = [...needed];
  const guarded = await guardTargets({ executor, progress: opts.progress, campaignId, backends, stopGraceMs });
  if (!guarded.ok) {
    await teardown();
    return guarded;
  }
  for (const backend of needed) {
    const ready = await executor.ready(backend, opts.signal, (w, ms, detail) => opts.progress.waiting(w, ms, detail));
    if (!ready.ok) {
      await teardown();
      if (!opts.signal.aborted) return ready;
      // Stopped before any experiment ran: nothing to mark, the campaign simply waits to be resumed.
      store.setStatus('interrupted');
      opts.progress.end();
      return ok({ counts: countStatuses(store.current), interrupted: true, failures: [] });
    }
    const already = before.get(backend) === 'already-running' ? ', already running' : '';
    opts.progress.note(`backend ${backend} ready (${executor.targetName(backend)}${already})`);
  }

  const { progress, signal } = opts;
  const paths = project.paths;
  const meters = batchMeters(project.env);
  const runner = new CampaignRunner({ store, plan, executor, paths, progress, signal, meters });
  try {
    return await runner.run();
  } finally {
    opts.progress.end();
    await teardown();
  }
}

/**
 * The executors of one run: engines in their containers (a lem-started server there for serve experiments), and
 * serve experiments against external endpoints in lem itself.
 */
function buildExecutors(
  project: Project,
  store: ManifestStore,
  containers: ReadonlyMap<string, BackendContainer>,
  opts: ExecuteOptions,
): { local: ServedExecutor; executor: ByBackendExecutor } {
  const engines = new LocalDockerExecutor({
    backends: containers,
    paths: project.paths,
    healthTimeoutMs: opts.healthTimeoutMs,
    note: (t) => opts.progress.note(t),
  });
  const local = new ServedExecutor({
    inner: engines,
    containers,
    hostResults: project.paths.hostResults,
    // Mounted read-only in every backend: where a server reads files lem writes for it (trtllm-serve's options).
    hostServerFiles: join(project.paths.hostBatches, store.current.campaign_id, 'servers'),
    env: project.env,
    onWait: (w, ms, detail) => opts.progress.waiting(w, ms, detail),
  });
  const external = new ExternalServeExecutor(project.paths.hostResults, project.env);
  return { local, executor: new ByBackendExecutor((b) => (b === EXTERNAL_BACKEND ? external : local)) };
}
