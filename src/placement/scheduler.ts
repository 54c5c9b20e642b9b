import { chooseSet, setKey } from './gpu-sets.js';

/** One unit of placement: a batch of experiments that share a loaded engine and need `count` GPUs. */
export interface PlacementRequest {
  readonly key: string;
  readonly backend: string;
  readonly count: number;
  /** Exact GPUs (node indices) the batch must run on; their number is the count. */
  readonly pins?: readonly number[] | undefined;
}

export interface Placement {
  readonly key: string;
  readonly backend: string;
  readonly gpus: readonly number[];
}

/**
 * Packs batches onto disjoint GPU sets of one node. Deterministic and free of effects (no clock, no I/O): the
 * supervisor calls `next()` whenever GPUs may have freed up and `finish()` when a batch ends.
 *
 * Rules:
 * - A GPU is never in two running placements.
 * - Requests are considered in campaign order. A later request may start before an earlier one that does not
 *   fit yet (backfill), but never on the GPUs the earlier one is waiting for: each waiting request reserves the
 *   set it will get (pins, or the lowest consecutive GPUs not reserved ahead of it), so it starts as soon as
 *   that set frees, and backfill can delay it not at all.
 * - A set that already hosts a container for the same backend is preferred (no new container, no new load).
 * - A request for no GPU (a serve experiment against an external endpoint) holds no GPU and waits for none: it
 *   starts beside whatever runs, but such requests run one at a time among themselves, in campaign order, since
 *   two load generators at once (often against the same endpoint) would each measure the other's load.
 */
export class GpuScheduler {
  private readonly all: readonly number[];
  private readonly free: Set<number>;
  private readonly queue: PlacementRequest[] = [];
  private readonly started = new Set<number>();
  private head = 0;
  private readonly runningByKey = new Map<string, Placement>();
  private readonly knownSets = new Map<string, number[][]>();
  private readonly knownKeys = new Set<string>();
  /** The set each waiting request holds (by queue position): kept until it starts, so it never drifts. */
  private readonly targets = new Map<number, number[]>();
  /** Queue positions of the requests for no GPU, in campaign order, and the one running (its key), if any. */
  private readonly gpuless: number[] = [];
  private gpulessHead = 0;
  private gpulessRunning: string | undefined;

  constructor(gpus: readonly number[], requests: readonly PlacementRequest[]) {
    this.all = [...new Set(gpus)].sort((a, b) => a - b);
    this.free = new Set(this.all);
    this.add(requests);
  }

  /**
   * Queues more requests behind the ones given so far (a runner's retries). Keys must be new. A request that can
   * never fit (more GPUs than usable, a pin outside them) is a RangeError: the campaign's check refuses those first.
   */
  add(requests: readonly PlacementRequest[]): void {
    for (const r of requests) {
      const n = r.pins ? r.pins.length : r.count;
      if (n > this.all.length) throw new RangeError(`${r.key} needs ${n} GPUs; only ${this.all.length} are usable`);
      for (const g of r.pins ?? []) {
        if (!this.all.includes(g)) throw new RangeError(`${r.key} is pinned to GPU ${g}, which is not usable`);
      }
    }
    for (const r of requests) {
      if (isGpuless(r)) this.gpuless.push(this.queue.length);
      this.queue.push(r);
    }
  }

  /** Requests not yet started. */
  get pending(): number {
    return this.queue.length - this.started.size;
  }

  get running(): ReadonlyMap<string, Placement> {
    return this.runningByKey;
  }

  /** Waiting requests and the GPU set each holds until it starts. */
  get reservations(): ReadonlyMap<string, readonly number[]> {
    return new Map([...this.targets].map(([i, gpus]) => [this.queue[i]!.key, gpus]));
  }

  /** Placements that can start now, in campaign order; their GPUs are busy until `finish(key)`. */
  next(): Placement[] {
    while (this.head < this.queue.length && this.started.has(this.head)) this.head++;
    const out: Placement[] = [];
    if (this.gpulessRunning === undefined && this.gpulessHead < this.gpuless.length) {
      const i = this.gpuless[this.gpulessHead++]!;
      out.push(this.start(i, this.queue[i]!, []));
      this.gpulessRunning = this.queue[i]!.key;
    }
    const reserved = new Set<number>();
    for (let i = this.head; i < this.queue.length; i++) {
      if (this.started.has(i) || isGpuless(this.queue[i]!)) continue;
      // Nothing can start once every free GPU is promised to an earlier request (or none is free).
      if (![...this.free].some((g) => !reserved.has(g))) break;
      const r = this.queue[i]!;
      const gpus = this.fit(r, reserved);
      if (gpus) {
        out.push(this.start(i, r, gpus));
        continue;
      }
      // It waits: hold the set it will get, so no later request takes those GPUs meanwhile.
      const target = this.targets.get(i) ?? (r.pins ? [...r.pins] : chooseSet(r.count, this.unreserved(reserved)));
      if (!target) break;
      this.targets.set(i, target);
      for (const g of target) reserved.add(g);
    }
    return out;
  }

  finish(key: string): void {
    const p = this.runningByKey.get(key);
    if (!p) throw new Error(`no running placement ${key}`);
    this.runningByKey.delete(key);
    if (this.gpulessRunning === key) this.gpulessRunning = undefined;
    for (const g of p.gpus) this.free.add(g);
  }

  private fit(r: PlacementRequest, reserved: ReadonlySet<number>): number[] | undefined {
    const avail = new Set([...this.free].filter((g) => !reserved.has(g)));
    if (r.pins) return r.pins.every((g) => avail.has(g)) ? [...r.pins].sort((a, b) => a - b) : undefined;
    return chooseSet(r.count, avail, this.knownSets.get(r.backend));
  }

  private unreserved(reserved: ReadonlySet<number>): Set<number> {
    return new Set(this.all.filter((g) => !reserved.has(g)));
  }

  private start(i: number, r: PlacementRequest, gpus: number[]): Placement {
    this.started.add(i);
    this.targets.delete(i);
    for (const g of gpus) this.free.delete(g);
    const p: Placement = { key: r.key, backend: r.backend, gpus };
    this.runningByKey.set(r.key, p);
    const k = `${r.backend}|${setKey(gpus)}`;
    if (gpus.length > 0 && !this.knownKeys.has(k)) {
      this.knownKeys.add(k);
      this.knownSets.set(r.backend, [...(this.knownSets.get(r.backend) ?? []), gpus]);
    }
    return p;
  }
}

const isGpuless = (r: PlacementRequest) => r.count === 0 && (r.pins === undefined || r.pins.length === 0);
