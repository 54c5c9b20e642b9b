import { batchMeters } from '../meters/run-meters.js';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EXTERNAL_BACKEND } from '../config/backends.js';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { planLocator } from '../placement/locate.js';
import { GpuSetExecutor } from '../placement/gpu-set-executor.js';
import { placementPreflight } from '../placement/preflight.js';
import { parseTarget } from '../placement/target.js';
import { backendContainers, type Project } from '../project/project.js';
import { ByBackendExecutor, ExternalServeExecutor } from '../serve/external-executor.js';
import { remainingWork } from './manifest.js';
import { recordNeighbours } from './packed-neighbours.js';
import type { ManifestStore } from './manifest-store.js';
import { readOwned } from './owned-targets.js';
import { guardTargets } from './run/recovery.js';
import { CampaignRunner, type RunOutcome } from './runner.js';
import type { ExecuteOptions } from './session.js';
import type { StoredPlan } from './stored-plan.js';

/**
 * `placement: pack`: checks the plan against this node's GPUs (a resumed or scheduled run may meet another
 * inventory than the one it was planned on), stops what a killed earlier run left measuring in its GPU-set
 * containers, then runs the batches in parallel on disjoint GPU sets. The containers it brings up, one per
 * (backend, GPU set), are recorded as they come and removed at the end (unless keepBackends).
 */
export async function executePacked(
  docker: Docker,
  project: Project,
  store: ManifestStore,
  plan: StoredPlan,
  opts: ExecuteOptions & { readonly stopGraceMs: number },
): Promise<Result<RunOutcome>> {
  const served = lemStartedServers(plan);
  if (!served.ok) return served;
  const file = store.current.campaign_file;
  const node = await placementPreflight(file, plan.campaign, plan.experiments, planLocator(file), project.pretendGpus);
  if (!node.ok) return node;
  const needed = new Set(remainingWork(store.current, plan.campaign.retries).map((e) => e.backend));
  // Every backend named has a service: checked here, where an error is a value, not in the executor.
  const services = backendContainers(
    docker,
    project,
    [...needed].filter((b) => b !== EXTERNAL_BACKEND),
  );
  if (!services.ok) return services;

  const ownedFile = join(store.dir, 'owned-backends.json');
  const owned = readOwned(ownedFile);
  if (!owned.ok) return owned;
  const { progress, signal } = opts;
  const gpuSets = new GpuSetExecutor({
    docker,
    project,
    healthTimeoutMs: opts.healthTimeoutMs,
    pretend: node.value?.inventory.source === 'pretend',
    note: (t) => progress.note(t),
    onBroughtUp: (target) => {
      if (owned.value.has(target)) return;
      owned.value.add(target);
      mustWrite(writeFileAtomic(ownedFile, JSON.stringify([...owned.value])));
    },
  });
  const external = new ExternalServeExecutor(project.paths.hostResults, project.env);
  const executor = new ByBackendExecutor((t) => (parseTarget(t).backend === EXTERNAL_BACKEND ? external : gpuSets));
  const teardown = async () => {
    if (opts.keepBackends) return;
    for (const target of owned.value) {
      const r = await executor.release(target);
      if (!r.ok) progress.note(`warning: ${r.error.message}`);
    }
  };

  const campaignId = store.current.campaign_id;
  const earlier = [...owned.value].filter((t) => parseTarget(t).gpus !== undefined);
  const guarded = await guardTargets({
    executor,
    progress,
    campaignId,
    backends: earlier,
    stopGraceMs: opts.stopGraceMs,
  });
  if (!guarded.ok) {
    await teardown();
    return guarded;
  }
  const usable = node.value?.usable ?? [];
  const aid = node.value?.inventory.source === 'pretend' ? ' (pretend GPUs, LEM_GPUS)' : '';
  progress.note(`placement: pack on GPU ${usable.join(', ')}${aid}`);
  const paths = project.paths;
  // Host meters see the whole host: batches running side by side share what they read (docs/placement.md).
  const meters = batchMeters(project.env);
  const runner = new CampaignRunner({ store, plan, executor, paths, progress, signal, meters, pack: { gpus: usable } });
  try {
    return await runner.run();
  } finally {
    for (const problem of recordNeighbours(project.paths.projectDir, store.current)) progress.note(problem);
    progress.end();
    await teardown();
  }
}

/** Pack runs give each batch its own GPU-set container; a server lem starts lives in the backend's one container. */
function lemStartedServers(plan: StoredPlan): Result<void> {
  const ids = plan.experiments
    .filter((e) => e.config.mode === 'serve' && e.backend !== EXTERNAL_BACKEND)
    .map((e) => e.id);
  if (ids.length === 0) return ok(undefined);
  return err(
    lemError(
      ErrorCode.CONFIG_INVALID,
      `placement: pack does not run servers lem starts yet: ${ids.length} serve experiment(s), e.g. ${ids[0]}`,
      { hint: 'use placement: serial for lem-started servers, or point endpoint: at a server you started' },
    ),
  );
}
