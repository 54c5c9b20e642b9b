import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchHandlers, Executor, WaitReporter } from '../campaign/run/executor.js';
import type { ExperimentConfig } from '../config/experiment.js';
import type { BatchSpec } from '../contract/batch-spec.js';
import { ok, type Result } from '../core/result.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { runServeBatch, type ServeTarget } from './serve-batch.js';
import { SERVER_PORT } from './server/command.js';
import { ContainerSampler } from './server/container-sampler.js';
import { ServerManager } from './server/server-manager.js';

export interface ServedOptions {
  /** The engine containers' executor: offline batches go to it, and it owns the containers' lifecycle. */
  readonly inner: Executor;
  readonly containers: ReadonlyMap<string, BackendContainer>;
  readonly hostResults: string;
  /** Host folder for server files (trtllm-serve's options); must be mounted in the containers (the batches folder). */
  readonly hostServerFiles: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly onWait: WaitReporter;
}

/** Longest idle baseline taken before a serve experiment's load (the server loaded, nothing in flight). */
const MAX_IDLE_BASELINE_S = 60;

/**
 * Serve experiments with a server lem starts in the backend's long-running container: the server is started (or
 * reused) there, the harness samples energy beside it, and the load generator runs in lem against its port on
 * 127.0.0.1, exactly as for an external endpoint. Offline batches and every container operation go to `inner`.
 */
export class ServedExecutor implements Executor {
  private readonly servers = new Map<string, ServerManager>();
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly o: ServedOptions) {}

  private manager(backend: string): ServerManager {
    let m = this.servers.get(backend);
    if (!m) {
      const c = this.o.containers.get(backend);
      if (!c) throw new Error(`no container for backend ${backend}`);
      const host = join(this.o.hostServerFiles, backend);
      m = new ServerManager(c, { host, container: c.containerPathFor(host) });
      this.servers.set(backend, m);
    }
    return m;
  }

  /** Servers started so far, per backend (a reused server counts once). */
  serverStarts(backend: string): number {
    return this.servers.get(backend)?.starts ?? 0;
  }

  targetName = (b: string) => this.o.inner.targetName(b);
  prepare = (b: string) => this.o.inner.prepare(b);
  ready = (b: string, s: AbortSignal, w: WaitReporter) => this.o.inner.ready(b, s, w);
  ensureReady = (b: string, s: AbortSignal, w: WaitReporter) => this.o.inner.ensureReady(b, s, w);
  mayRunHarnesses = (b: string) => this.o.inner.mayRunHarnesses(b);
  pathFor = (b: string, p: string) => this.o.inner.pathFor(b, p);
  resultsDir = (b: string) => this.o.inner.resultsDir(b);
  settle = (b: string, code: number | null) => this.o.inner.settle(b, code);
  listHarnesses = (b: string) => this.o.inner.listHarnesses(b);

  async runBatch(b: string, spec: BatchSpec, stderr: Writable, h: BatchHandlers) {
    if (spec.experiments[0]?.config.mode !== 'serve') return this.o.inner.runBatch(b, spec, stderr, h);
    const stop = new AbortController();
    this.running.set(spec.batch_id, stop);
    const m = this.manager(b);
    try {
      return await runServeBatch({
        spec,
        stderr,
        handlers: h,
        signal: stop.signal,
        hostResults: this.o.hostResults,
        env: this.o.env,
        target: (_x, config) => this.target(b, m, config, stderr, stop.signal),
      });
    } finally {
      m.detach();
      this.running.delete(spec.batch_id);
    }
  }

  private async target(
    backend: string,
    m: ServerManager,
    c: ExperimentConfig,
    log: Writable,
    signal: AbortSignal,
  ): Promise<Result<ServeTarget>> {
    const server = await m.ensure(c, log, signal, this.o.onWait);
    if (!server.ok) return server;
    const container = this.o.containers.get(backend)!;
    const simulatedUrl = c.backend === 'synthetic' ? `http://127.0.0.1:${SERVER_PORT}` : undefined;
    const sampling = c.measurement.sampling;
    const sampler = sampling
      ? ContainerSampler.start(container.handle(), {
          intervalMs: c.measurement.sample_interval_ms,
          simulatedUrl,
          stderr: log,
        })
      : undefined;
    const idleS = Math.min(c.measurement.idle_baseline_s, MAX_IDLE_BASELINE_S);
    return ok({
      endpoints: [server.value.endpoint],
      energy: sampler ?? null,
      noEnergyReason: 'measurement.sampling is off',
      beforeLoad: async () => {
        if (!sampler) return;
        // The counter must be read before the load starts: the idle stretch, then the load window.
        await sampler.sampledUntil(Date.now(), 10_000);
        const start = Date.now();
        if (idleS > 0) await sleep(idleS * 1000, undefined, { signal }).catch(() => undefined);
        sampler.setIdle(start, Date.now());
      },
      finish: async () => {
        await sampler?.stop();
      },
    });
  }

  async stopHarnesses(b: string, key: string, waitMs: number): Promise<Result<number>> {
    let n = 0;
    for (const [batch, c] of this.running) {
      if (batch === key || batch.startsWith(key)) {
        c.abort();
        n++;
      }
    }
    const inner = await this.o.inner.stopHarnesses(b, key, waitMs);
    return inner.ok ? ok(inner.value + n) : inner;
  }

  async forceStop(b: string): Promise<Result<void>> {
    for (const c of this.running.values()) c.abort();
    return this.o.inner.forceStop(b);
  }

  /** Stops the server lem started in each backend (the container itself stays, as the campaign decides). */
  async stopServers(): Promise<void> {
    for (const m of this.servers.values()) await m.stop();
  }

  async release(b: string): Promise<Result<void>> {
    await this.servers.get(b)?.stop();
    return this.o.inner.release(b);
  }
}
