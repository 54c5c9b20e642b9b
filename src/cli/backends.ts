import { Command, Option } from 'clipanion';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import type { GpuInventory } from '../placement/inventory.js';
import { describeState, LEM_CHECKED } from '../runtime/container-state.js';
import { LemCommand } from './base-command.js';
import { DEFAULT_HEALTH_TIMEOUT_S, parseHealthTimeout } from './defaults.js';
import { formatTable } from './table.js';

abstract class BackendsCommand extends LemCommand {
  names = Option.Rest({ name: 'backend' });
  project = Option.String('--project', { description: 'Project folder (holding compose.yaml)' });

  protected async targets() {
    const [{ backendContainers, connect }, { projectOptions }] = await Promise.all([
      import('../project/project.js'),
      import('./project-options.js'),
    ]);
    const c = await connect(projectOptions(this.project));
    if (!c.ok) return c;
    const all = Object.keys(c.value.project.compose.services);
    const unknown = this.names.filter((n) => !all.includes(n));
    if (unknown.length > 0) {
      return err(
        lemError(ErrorCode.USAGE, `unknown backend(s): ${unknown.join(', ')}`, {
          hint: `compose.yaml defines: ${all.join(', ')}`,
        }),
      );
    }
    const containers = backendContainers(c.value.docker, c.value.project, this.names.length > 0 ? this.names : all);
    if (!containers.ok) return containers;
    return ok({ ...c.value, containers: containers.value });
  }
}

export class BackendsUpCommand extends BackendsCommand {
  static override paths = [['backends', 'up']];
  static override usage = Command.Usage({
    category: 'Backends',
    description: 'Start backend containers and wait until they are healthy',
    details:
      'Starts the named backends (default: every service in compose.yaml) as long-running containers. Campaigns reuse running backends and leave them running.',
    examples: [['Start the demo backend', '$0 backends up synthetic']],
  });
  healthTimeout = Option.String('--health-timeout', String(DEFAULT_HEALTH_TIMEOUT_S), {
    description: 'Seconds to wait for each backend to become healthy',
  });

  async run(): Promise<Result<void>> {
    const healthTimeoutS = parseHealthTimeout(this.healthTimeout);
    if (!healthTimeoutS.ok) return healthTimeoutS;
    if (this.names.length === 0)
      return err(
        lemError(ErrorCode.USAGE, 'name the backends to start, e.g. lem backends up synthetic', {
          hint: 'GPU backends need their images built first (see README)',
        }),
      );
    const t = await this.targets();
    if (!t.ok) return t;
    const { progressFor } = await import('../campaign/progress.js');
    const progress = progressFor(process.stderr);
    for (const c of t.value.containers.values()) {
      const up = await c.up();
      if (!up.ok) return up;
      const h = await c.waitHealthy(healthTimeoutS.value * 1000, (ms, s) =>
        progress.waiting(`backend ${c.service}`, ms, describeState(s)),
      );
      if (!h.ok) return h;
      // The same words `lem backends status` prints: lem's own check may have passed before Docker's first one.
      const st = await c.state();
      const note = st.kind === 'healthy' && st.checkedBy === 'lem' ? `: ${LEM_CHECKED}` : '';
      this.print(`${c.service}: ${st.kind} (${c.containerName})${note}`);
    }
    progress.end();
    return ok(undefined);
  }
}

export class BackendsDownCommand extends BackendsCommand {
  static override paths = [['backends', 'down']];
  static override usage = Command.Usage({
    category: 'Backends',
    description: 'Stop and remove backend containers',
    details:
      'Removes the named backends (default: all of this project), with their per-GPU-set containers ' +
      '(placement: pack). Results and state live on the host and are kept.',
    examples: [['Stop every backend', '$0 backends down']],
  });

  async run(): Promise<Result<void>> {
    const t = await this.targets();
    if (!t.ok) return t;
    const { gpuSetContainers, removeContainer } = await import('../placement/gpu-set-containers.js');
    for (const c of t.value.containers.values()) {
      const before = await c.state();
      const r = await c.down();
      if (!r.ok) return r;
      this.print(`${c.service}: ${before.kind === 'absent' ? 'was not running' : 'removed'}`);
      // Containers of the backend on GPU sets (placement: pack), left by a run with --keep-backends.
      const sets = await gpuSetContainers(t.value.docker, t.value.project.name, c.service, c.containerName);
      if (!sets.ok) return sets;
      for (const name of sets.value) {
        const gone = await removeContainer(t.value.docker, name);
        if (!gone.ok) return gone;
        this.print(`${c.service}: removed ${name}`);
      }
    }
    return ok(undefined);
  }
}

export class BackendsStatusCommand extends BackendsCommand {
  static override paths = [['backends', 'status']];
  static override usage = Command.Usage({
    category: 'Backends',
    description: 'Show the state of each backend container, per-GPU-set containers included',
    details:
      'Lists every container lem runs for the project: one per backend (gpus -), and the ones `placement: pack` ' +
      'runs per GPU set (gpus 0,1), with their state and image, then the GPUs pack would place experiments on. ' +
      "A container is healthy when Docker's health check passed, or, while Docker still reports starting (its " +
      "first check comes one interval after start), when lem's own run of the same check passes (checked_by: lem).",
    examples: [
      ['All backends', '$0 backends status'],
      ['As JSON', '$0 backends status --json'],
    ],
  });

  async run(): Promise<Result<void>> {
    const t = await this.targets();
    if (!t.ok) return t;
    const rows = await statusRows(t.value);
    if (!rows.ok) return rows;
    // The GPUs `placement: pack` would place experiments on (LEM_GPUS: pretend ones, a test aid).
    const [{ probeInventory }, { describeInventory }] = await Promise.all([
      import('../placement/inventory-probe.js'),
      import('../placement/inventory.js'),
    ]);
    const inv = await probeInventory({ pretendGpus: t.value.project.pretendGpus });
    if (!inv.ok) return inv;
    if (this.json) this.printJson({ backends: rows.value, gpus: inv.value });
    else {
      this.print(
        formatTable(
          ['backend', 'gpus', 'container', 'state', 'image'],
          rows.value.map((r) => [r.backend, r.gpus?.join(',') ?? '-', r.container, r.detail, r.image]),
        ),
      );
      this.print(`gpus: ${describeInventory(inv.value)}`);
      for (const r of rows.value.filter((x) => x.harness_gpus !== null)) {
        const h = r.harness_gpus!;
        this.print(`${r.container}: the harness sees ${'error' in h ? `nothing: ${h.error}` : describeInventory(h)}`);
      }
    }
    return ok(undefined);
  }
}

type Targets = Extract<Awaited<ReturnType<BackendsCommand['targets']>>, { ok: true }>['value'];

/** One container of a backend: its own (gpus null), or one of its GPU-set containers (placement: pack). */
interface StatusRow {
  backend: string;
  gpus: number[] | null;
  container: string;
  state: string;
  checked_by: 'docker' | 'lem' | null;
  detail: string;
  image: string;
  /** A running backend's own container: the GPUs its harness sees through NVML (a probe exec), or why not. */
  harness_gpus: GpuInventory | { error: string } | null;
}

/**
 * Every container lem runs for the named backends: the backend's own, then the ones `placement: pack` brought
 * up per GPU set (found by lem's labels, present while a pack run holds them or after --keep-backends).
 */
async function statusRows(t: Targets): Promise<Result<StatusRow[]>> {
  const [
    { gpuSetContainers, gpuSetOfName },
    { gpuSetService, gpuSetSuffix },
    { DockerBackendContainer },
    { probeHarnessGpus },
  ] = await Promise.all([
    import('../placement/gpu-set-containers.js'),
    import('../placement/target.js'),
    import('../runtime/backend-container.js'),
    import('../placement/harness-inventory.js'),
  ]);
  const rows: StatusRow[] = [];
  const add = async (c: BackendContainer, gpus: number[] | null, image: string) => {
    // While Docker still says `starting`, lem runs the health check itself (as `backends up` did), so both agree.
    const st = await c.state({ runCheck: true });
    const checkedBy = st.kind === 'healthy' ? st.checkedBy : null;
    const detail = describeState(st);
    const container = c.containerName;
    const up = st.kind === 'healthy' || st.kind === 'running' || st.kind === 'starting';
    const probed = up && gpus === null ? await probeHarnessGpus(c) : null;
    const harness_gpus = probed === null ? null : probed.ok ? probed.value : { error: probed.error.message };
    rows.push({
      backend: c.service,
      gpus,
      container,
      state: st.kind,
      checked_by: checkedBy,
      detail,
      image,
      harness_gpus,
    });
  };
  const pretend = t.project.pretendGpus !== undefined;
  for (const c of t.containers.values()) {
    const def = t.project.compose.services[c.service]!;
    await add(c, null, def.image);
    const sets = await gpuSetContainers(t.docker, t.project.name, c.service, c.containerName);
    if (!sets.ok) return sets;
    for (const name of sets.value) {
      const gpus = gpuSetOfName(name, c.containerName);
      if (!gpus) continue;
      const svc = gpuSetService(def, gpus, pretend);
      const set = new DockerBackendContainer(t.docker, t.project.name, svc, t.project.env, gpuSetSuffix(gpus));
      await add(set, gpus, def.image);
    }
  }
  return ok(rows);
}
