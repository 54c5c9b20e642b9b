import type { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { BatchSpec } from '../contract/batch-spec.js';
import type { Result } from '../core/result.js';
import { LocalDockerExecutor } from '../campaign/run/local-docker-executor.js';
import type { BatchHandlers, Executor, RunningHarness, TargetFate, WaitReporter } from '../campaign/run/executor.js';
import type { Project } from '../project/project.js';
import { DockerBackendContainer, type BackendContainer } from '../runtime/backend-container.js';
import { gpuSetService, gpuSetSuffix, parseTarget } from './target.js';

export interface GpuSetExecutorOptions {
  readonly docker: Docker;
  readonly project: Project;
  readonly healthTimeoutMs: number;
  /** The GPUs are pretend ones (LEM_GPUS): their sets are recorded, never requested from the NVIDIA runtime. */
  readonly pretend: boolean;
  readonly note: (text: string) => void;
  /** A container this run created or started (its target key): the caller records it, to remove it at the end. */
  readonly onBroughtUp: (target: string) => void;
}

/**
 * `placement: pack`: one long-running container per (backend, GPU set), keyed `backend@0,1` (see target.ts),
 * each created on first use with exactly its GPUs and reused by every later batch on the same set. Everything
 * else (health, exec, stopping, a dead container restarted) is the local Docker executor's, per container.
 */
export class GpuSetExecutor implements Executor {
  private readonly containers = new Map<string, BackendContainer>();
  private readonly local: LocalDockerExecutor;
  /** Targets brought up (or found up) by this run: later batches on them only check they are still usable. */
  private readonly prepared = new Set<string>();

  constructor(private readonly o: GpuSetExecutorOptions) {
    this.local = new LocalDockerExecutor({
      backends: this.containers,
      paths: o.project.paths,
      healthTimeoutMs: o.healthTimeoutMs,
      note: o.note,
    });
  }

  /** The target's container, made known on first mention (a target key from an earlier run's records, too). */
  private t(target: string): string {
    if (this.containers.has(target)) return target;
    const { backend, gpus } = parseTarget(target);
    const def = this.o.project.compose.services[backend];
    if (!def || !gpus) throw new Error(`no service for placed target ${target}`);
    const { docker, project } = this.o;
    const c = new DockerBackendContainer(
      docker,
      project.name,
      gpuSetService(def, gpus, this.o.pretend),
      project.env,
      gpuSetSuffix(gpus),
    );
    this.containers.set(target, c);
    return target;
  }

  targetName(target: string): string {
    return this.local.targetName(this.t(target));
  }

  async prepare(target: string): Promise<Result<'created' | 'started' | 'already-running'>> {
    const up = await this.local.prepare(this.t(target));
    if (up.ok) {
      this.prepared.add(target);
      const { backend, gpus } = parseTarget(target);
      const how = up.value === 'already-running' ? 'already running' : up.value;
      this.o.note(`backend ${backend} on GPU ${gpus?.join(',')}: ${this.targetName(target)} ${how}`);
      if (up.value !== 'already-running') this.o.onBroughtUp(target);
    }
    return up;
  }

  ready(target: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>> {
    return this.local.ready(this.t(target), signal, onWait);
  }

  /** A GPU set's first batch of this run brings its container up; every batch then waits until it is usable. */
  async ensureReady(target: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>> {
    if (!this.prepared.has(target)) {
      const up = await this.prepare(target);
      if (!up.ok) return up;
    }
    return this.local.ensureReady(this.t(target), signal, onWait);
  }

  mayRunHarnesses(target: string): Promise<boolean> {
    return this.local.mayRunHarnesses(this.t(target));
  }

  pathFor(target: string, hostPath: string): string | undefined {
    return this.local.pathFor(this.t(target), hostPath);
  }

  resultsDir(): string {
    return this.local.resultsDir();
  }

  runBatch(
    target: string,
    spec: BatchSpec,
    stderr: Writable,
    h: BatchHandlers,
  ): Promise<Result<{ exitCode: number | null }>> {
    return this.local.runBatch(this.t(target), spec, stderr, h);
  }

  stopHarnesses(target: string, key: string, waitMs: number): Promise<Result<number>> {
    return this.local.stopHarnesses(this.t(target), key, waitMs);
  }

  forceStop(target: string): Promise<Result<void>> {
    return this.local.forceStop(this.t(target));
  }

  settle(target: string, exitCode: number | null): Promise<TargetFate> {
    return this.local.settle(this.t(target), exitCode);
  }

  listHarnesses(target: string): Promise<Result<RunningHarness[]>> {
    return this.local.listHarnesses(this.t(target));
  }

  release(target: string): Promise<Result<void>> {
    return this.local.release(this.t(target));
  }
}
