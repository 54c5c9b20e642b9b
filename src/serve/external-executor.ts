import type { Writable } from 'node:stream';
import type { BatchHandlers, Executor, RunningHarness, TargetFate } from '../campaign/run/executor.js';
import type { BatchSpec } from '../contract/batch-spec.js';
import { ok, type Result } from '../core/result.js';
import { runServeBatch } from './serve-batch.js';

export const EXTERNAL_NO_ENERGY =
  'external endpoint: lem neither starts this server nor reads its power, and no power source is configured';

/**
 * Runs the serve experiments of backend `external` in lem's own process: no container, the load generator sends
 * to the endpoint(s) the config names, results go straight to the host's results folder. It speaks the same event
 * protocol as a harness, so the campaign's reducer, manifest and resume treat these experiments like any other.
 */
export class ExternalServeExecutor implements Executor {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly hostResults: string,
    /** The user's environment, for endpoint headers taken from variables. */
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  targetName(): string {
    return 'lem (external endpoint)';
  }
  async prepare(): Promise<Result<'already-running'>> {
    return ok('already-running');
  }
  async ready(): Promise<Result<void>> {
    return ok(undefined);
  }
  async ensureReady(): Promise<Result<void>> {
    return ok(undefined);
  }
  async mayRunHarnesses(): Promise<boolean> {
    return false;
  }
  pathFor(_backend: string, hostPath: string): string {
    return hostPath;
  }
  resultsDir(): string {
    return this.hostResults;
  }

  async runBatch(
    _b: string,
    spec: BatchSpec,
    stderr: Writable,
    handlers: BatchHandlers,
  ): Promise<Result<{ exitCode: number | null }>> {
    const stop = new AbortController();
    this.running.set(spec.batch_id, stop);
    try {
      return await runServeBatch({
        spec,
        stderr,
        handlers,
        signal: stop.signal,
        hostResults: this.hostResults,
        env: this.env,
        target: async () => ok({ energy: null, noEnergyReason: EXTERNAL_NO_ENERGY }),
      });
    } finally {
      this.running.delete(spec.batch_id);
    }
  }

  async stopHarnesses(_b: string, key: string): Promise<Result<number>> {
    let n = 0;
    for (const [batch, c] of this.running) {
      if (batch === key || batch.startsWith(key)) {
        c.abort();
        n++;
      }
    }
    return ok(n);
  }
  async forceStop(): Promise<Result<void>> {
    for (const c of this.running.values()) c.abort();
    return ok(undefined);
  }
  async settle(): Promise<TargetFate> {
    return { alive: true, description: 'lem process (external endpoint)' };
  }
  async listHarnesses(): Promise<Result<RunningHarness[]>> {
    return ok([]);
  }
  async release(): Promise<Result<void>> {
    return ok(undefined);
  }
}

/** One executor per backend name: `external` runs in lem, the engines in their containers. */
export class ByBackendExecutor implements Executor {
  constructor(private readonly pick: (backend: string) => Executor) {}
  targetName(b: string) {
    return this.pick(b).targetName(b);
  }
  prepare(b: string) {
    return this.pick(b).prepare(b);
  }
  ready(b: string, s: AbortSignal, w: Parameters<Executor['ready']>[2]) {
    return this.pick(b).ready(b, s, w);
  }
  ensureReady(b: string, s: AbortSignal, w: Parameters<Executor['ready']>[2]) {
    return this.pick(b).ensureReady(b, s, w);
  }
  mayRunHarnesses(b: string) {
    return this.pick(b).mayRunHarnesses(b);
  }
  pathFor(b: string, p: string) {
    return this.pick(b).pathFor(b, p);
  }
  resultsDir(b: string) {
    return this.pick(b).resultsDir(b);
  }
  runBatch(b: string, spec: BatchSpec, stderr: Writable, h: BatchHandlers) {
    return this.pick(b).runBatch(b, spec, stderr, h);
  }
  stopHarnesses(b: string, key: string, waitMs: number) {
    return this.pick(b).stopHarnesses(b, key, waitMs);
  }
  forceStop(b: string) {
    return this.pick(b).forceStop(b);
  }
  settle(b: string, code: number | null) {
    return this.pick(b).settle(b, code);
  }
  listHarnesses(b: string) {
    return this.pick(b).listHarnesses(b);
  }
  release(b: string) {
    return this.pick(b).release(b);
  }
}
