import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import type Docker from 'dockerode';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { DockerBackendContainer, type BackendContainer } from '../runtime/backend-container.js';
import { findProjectDir, hostPathFor, loadComposeProject, type ComposeProject } from '../runtime/compose-file.js';
import { describeState } from '../runtime/container-state.js';
import { connectDocker, type EngineInfo } from '../runtime/docker-client.js';
import { newCampaignId } from './campaign-id.js';
import { countStatuses, pendingEntry, remainingWork, type Manifest } from './manifest.js';
import { acquireLock, lockPathIn, releaseLock } from '../core/pid-lock.js';
import { z } from 'zod';
import { ManifestStore } from './manifest-store.js';
import type { ProgressReporter } from './progress.js';
import { warmHarness } from './harness-client.js';
import { CampaignRunner, type RunOutcome, type SharedPaths } from './runner.js';
import { loadPlan, savePlan, type StoredPlan } from './stored-plan.js';

function readOwned(file: string): Result<Set<string>> {
  if (!existsSync(file)) return ok(new Set());
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return ok(new Set(parsed.data));
    return err(lemError(ErrorCode.STATE_CORRUPT, `${file} is not a list of backend names: ${parsed.error.issues[0]?.message}`));
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `${file} cannot be read: ${(e as Error).message}`));
  }
}

export const CONTAINER_RESULTS = '/app/results';
export const CONTAINER_STATE = '/app/.state';

/** A lem project: the folder holding compose.yaml, its results/ and .state/. */
export interface Project {
  readonly dir: string;
  readonly name: string;
  readonly compose: ComposeProject;
  readonly paths: SharedPaths;
}

export function resolveProjectDir(explicit: string | undefined): Result<string> {
  const dir = explicit ?? process.env['LEM_PROJECT_DIR'] ?? findProjectDir(process.cwd());
  if (!dir) {
    return err(lemError(ErrorCode.USAGE, `no compose.yaml found in ${process.cwd()} or any folder above it`, { hint: 'run lem inside a lem project (the folder with compose.yaml), or pass --project <dir>' }));
  }
  return ok(resolve(dir));
}

/**
 * Containers are named per project so two checkouts on one engine never share a backend; LEM_PROJECT_NAME
 * overrides (tests use it to isolate runs).
 */
export function projectName(dir: string): string {
  const env = process.env['LEM_PROJECT_NAME'];
  if (env) return env;
  const slug = basename(dir).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'project';
  return `${slug}-${createHash('sha256').update(dir).digest('hex').slice(0, 6)}`;
}

/** Reads compose.yaml (with compose.gpu.yaml when the engine has the NVIDIA runtime) and the shared folders. */
export function openProject(dir: string, engine: { gpuRuntime: boolean } | undefined): Result<Project> {
  const useGpu = process.env['LEM_GPU'] ? process.env['LEM_GPU'] === '1' : (engine?.gpuRuntime ?? false);
  const compose = loadComposeProject(dir, { withGpu: useGpu });
  if (!compose.ok) return compose;
  const services = Object.values(compose.value.services);
  const pick = (target: string, fallback: string): Result<string> => {
    const found = new Set(services.map((s) => hostPathFor(s, target)).filter((p): p is string => p !== undefined));
    if (found.size > 1) return err(lemError(ErrorCode.CONFIG_INVALID, `compose.yaml: services mount different host folders at ${target} (${[...found].join(', ')}); lem needs one shared folder`));
    return ok([...found][0] ?? join(dir, fallback));
  };
  const results = pick(CONTAINER_RESULTS, 'results');
  if (!results.ok) return results;
  const state = pick(CONTAINER_STATE, '.state');
  if (!state.ok) return state;
  return ok({
    dir,
    name: projectName(dir),
    compose: compose.value,
    paths: { projectDir: dir, hostResults: results.value, hostState: state.value, containerResults: CONTAINER_RESULTS, containerState: CONTAINER_STATE },
  });
}

/** The project for commands that only read its files (no Docker engine needed, so no GPU override). */
export function locateProject(explicit: string | undefined): Result<Project> {
  const dir = resolveProjectDir(explicit);
  return dir.ok ? openProject(dir.value, undefined) : dir;
}

export async function connect(projectDirOpt: string | undefined): Promise<Result<{ project: Project; docker: Docker; engine: EngineInfo }>> {
  const dir = resolveProjectDir(projectDirOpt);
  if (!dir.ok) return dir;
  const d = await connectDocker();
  if (!d.ok) return d;
  const project = openProject(dir.value, d.value.info);
  if (!project.ok) return project;
  return ok({ project: project.value, docker: d.value.docker, engine: d.value.info });
}

export function backendContainers(docker: Docker, project: Project, names: Iterable<string>): Result<Map<string, BackendContainer>> {
  const out = new Map<string, BackendContainer>();
  for (const name of names) {
    const def = project.compose.services[name];
    if (!def) {
      return err(lemError(ErrorCode.CONFIG_INVALID, `backend "${name}" has no service in ${project.compose.files[0]}`, { hint: `add a "${name}:" service (see the examples in compose.yaml)` }));
    }
    out.set(name, new DockerBackendContainer(docker, project.name, def));
  }
  return ok(out);
}

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
    return err(lemError(ErrorCode.CAMPAIGN_NOT_FOUND, `no campaign "${campaignId}" in ${join(project.paths.hostState, 'campaigns')}`, { hint: 'list campaigns with: lem campaign list' }));
  }
  const plan = loadPlan(store.value.dir);
  if (!plan.ok) return plan;
  return ok({ store: store.value, plan: plan.value });
}

export interface ExecuteOptions {
  readonly keepBackends: boolean;
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
  readonly healthTimeoutMs: number;
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
    hint: (o) => `the campaign is being run by PID ${o.pid} (lem campaign run/resume or lem daemon); wait for it, or stop it with: kill ${o.pid}`,
  });
  if (!lock.ok) return lock;
  try {
    return await executeLocked(docker, project, store, plan, opts);
  } finally {
    const released = releaseLock(lockFile);
    if (!released.ok) opts.progress.note(`warning: ${released.error.message}`);
  }
}

async function executeLocked(docker: Docker, project: Project, store: ManifestStore, plan: StoredPlan, opts: ExecuteOptions): Promise<Result<RunOutcome>> {
  const needed = new Set(remainingWork(store.current, plan.campaign.retries).map((e) => e.backend));
  // A stale `running` experiment may belong to a backend with nothing else left; its container is needed too.
  for (const e of store.current.experiments) if (e.status === 'running') needed.add(e.backend);
  const containers = backendContainers(docker, project, needed);
  if (!containers.ok) return containers;

  // Backends this campaign brought up (recorded durably, so a resumed run after a kill still tears them down);
  // backends that were already running before the campaign are left as they were.
  const ownedFile = join(store.dir, 'owned-backends.json');
  const owned = readOwned(ownedFile);
  if (!owned.ok) return owned;
  const teardown = async () => {
    if (opts.keepBackends) return;
    for (const c of containers.value.values()) {
      if (!owned.value.has(c.service)) continue;
      const r = await c.down();
      if (!r.ok) opts.progress.note(`warning: ${r.error.message}`);
    }
  };

  for (const c of containers.value.values()) {
    const up = await c.up();
    if (!up.ok) {
      await teardown();
      return up;
    }
    if (up.value !== 'already-running' && !owned.value.has(c.service)) {
      owned.value.add(c.service);
      mustWrite(writeFileAtomic(ownedFile, JSON.stringify([...owned.value])));
    }
    const healthy = await c.waitHealthy(opts.healthTimeoutMs, (ms, s) => opts.progress.waiting(`backend ${c.service} (${c.containerName})`, ms, describeState(s)), opts.signal);
    if (!healthy.ok) {
      await teardown();
      if (opts.signal.aborted) {
        // Stopped before any experiment ran: nothing to mark, the campaign simply waits to be resumed.
        store.setStatus('interrupted');
        opts.progress.end();
        return ok({ counts: countStatuses(store.current), interrupted: true, failures: [] });
      }
      return healthy;
    }
    opts.progress.note(`backend ${c.service} ready (${c.containerName}${up.value === 'already-running' ? ', already running' : ''})`);
    // Fill the container's bytecode cache now, once, rather than inside the first experiment's exec.
    const warmFailed = await warmHarness(c);
    if (warmFailed) opts.progress.note(`warning: ${warmFailed}`);
  }

  const runner = new CampaignRunner({
    store,
    plan,
    backends: containers.value,
    paths: project.paths,
    progress: opts.progress,
    signal: opts.signal,
    healthTimeoutMs: opts.healthTimeoutMs,
  });
  let outcome: Result<RunOutcome>;
  try {
    outcome = await runner.run();
  } finally {
    opts.progress.end();
    await teardown();
  }
  return outcome;
}
