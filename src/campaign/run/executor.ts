import type { Writable } from 'node:stream';
import type { BatchSpec } from '../../contract/batch-spec.js';
import type { Result } from '../../core/result.js';
import type { BatchHandlers, RunningHarness } from '../harness-client.js';

export type { BatchHandlers, RunningHarness };

/** What became of a target after an exec ended: alive (the harness alone ended) or dead, in words. */
export interface TargetFate {
  readonly alive: boolean;
  readonly description: string;
}

export type WaitReporter = (what: string, elapsedMs: number, detail: string) => void;

/**
 * Where batches run: "a batch runs somewhere and streams events". The local Docker executor runs them in one
 * long-running container per backend; other executors (GPU placement, a cluster scheduler) implement the same.
 * Every method is keyed by a target key: the backend's name in a serial run, `backend@<gpus>` (one container per
 * GPU set, see placement/target.ts) under `placement: pack`; the executor knows the target behind the key.
 */
export interface Executor {
  /** The name the backend's target is known by (in messages and the manifest's `container`). */
  targetName(backend: string): string;
  /** Brings the target up, or finds it running already. */
  prepare(backend: string): Promise<Result<'created' | 'started' | 'already-running'>>;
  /** Waits until a prepared target can take a batch. */
  ready(backend: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>>;
  /** Before a batch: makes the target usable again, restarting or recreating it when it died or vanished. */
  ensureReady(backend: string, signal: AbortSignal, onWait: WaitReporter): Promise<Result<void>>;
  /**
   * Whether a harness may be running in the target: it is alive, and not one this executor started and has not yet
   * handed a batch (a container just created or started has no process of anyone's).
   */
  mayRunHarnesses(backend: string): Promise<boolean>;
  /** The path under which the harness in the target reads a host file; undefined when it cannot. */
  pathFor(backend: string, hostPath: string): string | undefined;
  /** The folder inside the target under which results are written. */
  resultsDir(backend: string): string;
  /** Hands the spec to the target and runs the harness on it, streaming its events; resolves when it exits. */
  runBatch(
    backend: string,
    spec: BatchSpec,
    stderr: Writable,
    handlers: BatchHandlers,
  ): Promise<Result<{ exitCode: number | null }>>;
  /** Asks every harness working on `key` (a campaign or batch id) to stop; with `waitMs`, waits until gone. */
  stopHarnesses(backend: string, key: string, waitMs: number): Promise<Result<number>>;
  /** Stops the target itself: for a harness that ignored the request to stop. */
  forceStop(backend: string): Promise<Result<void>>;
  /** The target's fate after an exec ended with `exitCode`. */
  settle(backend: string, exitCode: number | null): Promise<TargetFate>;
  /** Harness processes running in the target now, of any campaign. */
  listHarnesses(backend: string): Promise<Result<RunningHarness[]>>;
  /** Removes the target. */
  release(backend: string): Promise<Result<void>>;
}
