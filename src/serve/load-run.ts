import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { arrivalGaps, type Arrival } from './arrivals.js';
import type { ClientHealth } from '../contract/serving.js';
import { startClientHealth, type ClientHealthMonitor } from './client-health.js';
import { createDispatcher, sendRequest, type Endpoint, type SendOptions } from './client.js';
import type { RequestRecord } from './record.js';
import { createRouter, type RoutingPolicy } from './routing.js';

/** A load run's shape: closed loop (`concurrency` users) or open loop (`rate` requests/s), bounded by count or time. */
export interface LoadPlan {
  readonly concurrency?: number | undefined;
  readonly rate?: number | undefined;
  readonly arrival: Arrival;
  readonly burstiness: number;
  readonly seed: number;
  readonly requests?: number | undefined;
  readonly durationS?: number | undefined;
  readonly warmupRequests: number;
}

export interface LoadRunInput {
  readonly endpoints: readonly Endpoint[];
  readonly routing: RoutingPolicy;
  readonly prompts: readonly string[];
  readonly plan: LoadPlan;
  readonly send: SendOptions;
  /** Aborting stops sending at once and cancels in-flight requests (they are recorded as `cancelled`). */
  readonly signal: AbortSignal;
  readonly onRecord?: (r: RequestRecord) => void;
}

export interface LoadRunOutput {
  readonly records: RequestRecord[];
  /** Wall-clock epoch ms of the run's time 0, so record times can be placed against energy samples. */
  readonly startedAtEpochMs: number;
  /** performance.now() of the run's time 0: puts record times on this process's monotonic clock (benchmarks). */
  readonly startedAtPerfMs: number;
  /** When the first measured request was sent and the last one finished (ms since time 0). */
  readonly measuredStartMs: number;
  readonly measuredEndMs: number;
  /** The time the last measured request was sent: after it no queued work keeps the server full. */
  readonly lastSendMs: number;
  readonly interrupted: boolean;
  /** lem's own lateness and CPU over the measured load (warm-up excluded). */
  readonly client: ClientHealth;
}

/** Shared state of one run: who sends what next. */
class Run {
  readonly records: RequestRecord[] = [];
  readonly router;
  readonly dispatcher;
  readonly t0 = performance.now();
  readonly epoch = Date.now();
  nextIndex = 0;
  lastSendMs = 0;

  constructor(readonly input: LoadRunInput) {
    const parallel = input.plan.concurrency ?? 256;
    this.router = createRouter(input.endpoints.length, input.routing);
    this.dispatcher = createDispatcher(Math.max(1, Math.ceil(parallel / input.endpoints.length)) + 1);
  }

  now(): number {
    return performance.now() - this.t0;
  }

  async one(warmup: boolean): Promise<void> {
    const { input } = this;
    const index = this.nextIndex++;
    const worker = this.router.pick();
    const prompt = input.prompts[index % input.prompts.length]!;
    if (!warmup) this.lastSendMs = this.now();
    const ctx = { index, worker, warmup, t0: this.t0, stop: input.signal };
    const r = await sendRequest(this.dispatcher, input.endpoints[worker]!, prompt, input.send, ctx);
    this.router.done(worker);
    this.records.push(r);
    input.onRecord?.(r);
  }
}

/** N users, each sending its next request when its previous one finishes, until `more()` says stop. */
async function closedLoop(run: Run, users: number, more: () => boolean, warmup: boolean): Promise<void> {
  const user = async (): Promise<void> => {
    while (!run.input.signal.aborted && more()) await run.one(warmup);
  };
  await Promise.all(Array.from({ length: users }, user));
}

/** Requests sent at scheduled arrival times whatever the server's state; waits for all of them to finish. */
async function openLoop(run: Run, rate: number, more: () => boolean): Promise<void> {
  const { plan, signal } = run.input;
  const gap = arrivalGaps({ rate, arrival: plan.arrival, burstiness: plan.burstiness, seed: plan.seed });
  const inflight = new Set<Promise<void>>();
  const start = run.now();
  let due = 0;
  while (!signal.aborted && more()) {
    const wait = start + due - run.now();
    if (wait > 1) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    const p = run.one(false).finally(() => inflight.delete(p));
    inflight.add(p);
    due += gap() * 1000;
  }
  await Promise.all(inflight);
}

/** Run one load: warm-up requests first (closed loop, left out of statistics), then the measured load. */
export async function runLoad(input: LoadRunInput): Promise<LoadRunOutput> {
  const run = new Run(input);
  const { plan, signal } = input;
  let health: ClientHealthMonitor | undefined;
  try {
    const users = plan.concurrency ?? 1;
    let warm = 0;
    await closedLoop(run, Math.min(users, Math.max(1, plan.warmupRequests)), () => warm++ < plan.warmupRequests, true);
    const measuredStartMs = run.now();
    health = startClientHealth();
    let sent = 0;
    const deadline = plan.durationS !== undefined ? measuredStartMs + plan.durationS * 1000 : Infinity;
    const more = (): boolean => (plan.requests === undefined || sent++ < plan.requests) && run.now() < deadline;
    if (plan.rate !== undefined) await openLoop(run, plan.rate, more);
    else await closedLoop(run, users, more, false);
    const measuredEndMs = run.now();
    const client = health.stop();
    health = undefined;
    return {
      records: run.records,
      startedAtEpochMs: run.epoch,
      startedAtPerfMs: run.t0,
      measuredStartMs,
      measuredEndMs,
      lastSendMs: run.lastSendMs,
      interrupted: signal.aborted,
      client,
    };
  } finally {
    health?.stop();
    await run.dispatcher.close().catch(() => undefined);
  }
}
