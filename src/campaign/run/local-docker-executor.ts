import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { BatchSpec } from '../../contract/batch-spec.js';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { SharedPaths } from '../../project/project.js';
import type { BackendContainer } from '../../runtime/backend-container.js';
import { describeState, isAlive, isUsable, type ContainerState } from '../../runtime/container-state.js';
import { listHarnesses, runHarnessBatch, stopHarness, warmHarness } from '../harness-client.js';
import type { BatchHandlers, Executor, RunningHarness, TargetFate, WaitReporter } from './executor.js';

export interface LocalDockerOptions {
  readonly backends: ReadonlyMap<string, BackendContainer>;
  readonly paths: SharedPaths;
  readonly healthTimeoutMs: number;
  /** Where the executor says what it does on its own (a backend restarted, a cache that could not be warmed). */
  readonly note: (text: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Batches run by `docker exec` in one long-running container per backend, on this machine's Docker engine. */
export class LocalDockerExecutor implements Executor {
  /** Targets this executor started and has not yet handed a batch: no harness can be running in them. */
  private readonly fresh = new Set<string>();

  constructor(private readonly o: LocalDockerOptions) {}

  private c(backend: string): BackendContainer {
    const c = this.o.backends.get(backend);
    if (!c) throw new Error(`no container for backend ${backend}`);
    return c;
  }

  targetName(backend: string): string {
    return this.c(backend).containerName;
  }

  async prepare(backend: string): Promise<Result<'created' | 'started' | 'already-running'>> {
    const up = await this.c(backend).up();
    if (up.ok && up.value !== 'already-running') this.fresh.add(backend);
    return up;
  }

  async ready(backend: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>> {
    const c = this.c(backend);
    const healthy = await c.waitHealthy(
      this.o.healthTimeoutMs,
      (ms, s) => onWait(`backend ${c.service} (${c.containerName})`, ms, describeState(s)),
      signal,
    );
    if (!healthy.ok) return healthy;
    // Fill the container's bytecode cache now, once, rather than inside the first experiment's exec.
    const warmFailed = await warmHarness(c);
    if (warmFailed) this.o.note(`warning: ${warmFailed}`);
    return ok(undefined);
  }

  async ensureReady(backend: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>> {
    const c = this.c(backend);
    const st = await this.stateOf(c);
    if (isUsable(st)) return ok(undefined);
    if (!isAlive(st) || st.kind === 'unhealthy') {
      this.o.note(`backend container ${c.containerName} is ${describeState(st)}: restarting it`);
      const r = await this.revive(c, st);
      if (!r.ok) return r;
    }
    // Alive but its health not yet reported by the engine: waitHealthy runs the check itself.
    return c.waitHealthy(this.o.healthTimeoutMs, (ms, s) => onWait(c.containerName, ms, describeState(s)), signal);
  }

  /**
   * Restarts a dead or unhealthy container, or creates it anew when it is gone. A container being removed
   * (`docker rm -f` under a run) can be neither restarted nor started: wait until it is gone, then create it.
   */
  private async revive(c: BackendContainer, st: ContainerState): Promise<Result<void>> {
    const first = st.kind === 'absent' ? await c.up() : await c.restart();
    if (first.ok) return ok(undefined);
    for (let i = 0; i < 100; i++) {
      if ((await this.stateOf(c)).kind === 'absent') {
        const again = await c.up();
        return again.ok ? ok(undefined) : again;
      }
      await sleep(100);
    }
    return first;
  }

  /** The container's state; one that cannot be inspected (being removed) counts as gone. */
  private async stateOf(c: BackendContainer): Promise<ContainerState> {
    try {
      return await c.state();
    } catch {
      return { kind: 'absent' };
    }
  }

  async mayRunHarnesses(backend: string): Promise<boolean> {
    return !this.fresh.has(backend) && isAlive(await this.stateOf(this.c(backend)));
  }

  pathFor(backend: string, hostPath: string): string | undefined {
    return this.c(backend).containerPathFor(hostPath);
  }

  resultsDir(): string {
    return this.o.paths.containerResults;
  }

  async runBatch(
    backend: string,
    spec: BatchSpec,
    stderr: Writable,
    handlers: BatchHandlers,
  ): Promise<Result<{ exitCode: number | null }>> {
    const c = this.c(backend);
    const hostSpec = join(this.o.paths.hostBatches, spec.campaign_id, `${spec.batch_id}.json`);
    const inside = c.containerPathFor(hostSpec);
    if (inside === undefined) {
      return err(
        lemError(
          ErrorCode.CONFIG_INVALID,
          `the batch folder ${this.o.paths.hostBatches} is not mounted into ${c.containerName}`,
          {
            hint: 'mount it read-only at /app/batches in compose.yaml, e.g. "- ./.state/batches:/app/batches:ro"',
          },
        ),
      );
    }
    const written = writeFileAtomic(hostSpec, JSON.stringify(spec, null, 2));
    if (!written.ok) return written;
    this.fresh.delete(backend);
    try {
      return ok(await runHarnessBatch(c, inside, stderr, handlers));
    } catch (e) {
      stderr.write(`[lem] exec failed: ${message(e)}\n`);
      return ok({ exitCode: null });
    }
  }

  async stopHarnesses(backend: string, key: string, waitMs: number): Promise<Result<number>> {
    try {
      return ok(await stopHarness(this.c(backend), key, waitMs));
    } catch (e) {
      return err(lemError(ErrorCode.CONTAINER_FAILED, message(e)));
    }
  }

  async forceStop(backend: string): Promise<Result<void>> {
    const c = this.c(backend);
    try {
      await c.handle().stop({ t: 1 });
      return ok(undefined);
    } catch (e) {
      return err(lemError(ErrorCode.CONTAINER_FAILED, `could not stop ${c.containerName}: ${message(e)}`));
    }
  }

  /** A killed container ends the exec a moment before the engine reports it stopped: give it that moment. */
  async settle(backend: string, exitCode: number | null): Promise<TargetFate> {
    const c = this.c(backend);
    let state = await this.stateOf(c);
    for (let i = 0; i < 20 && exitCode !== 0 && isAlive(state); i++) {
      await sleep(100);
      state = await this.stateOf(c);
    }
    return { alive: isAlive(state), description: describeState(state) };
  }

  async listHarnesses(backend: string): Promise<Result<RunningHarness[]>> {
    try {
      return ok(await listHarnesses(this.c(backend)));
    } catch (e) {
      return err(lemError(ErrorCode.CONTAINER_FAILED, message(e)));
    }
  }

  release(backend: string): Promise<Result<void>> {
    return this.c(backend).down();
  }
}
