import { ErrorCode, fromUnknown, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { GpuScheduler } from './scheduler.js';

/** What a unit of work needs to be placed: its backend, and a GPU count or the exact GPUs (pins). */
export interface Need {
  readonly backend: string;
  readonly count: number;
  readonly pins?: readonly number[] | undefined;
}

export interface PackedDispatchOptions<B> {
  /** The GPUs lem may use. */
  readonly gpus: readonly number[];
  readonly batches: readonly B[];
  readonly need: (b: B) => Need;
  /**
   * Runs one batch on its GPU set, resolving with the batches to run again afterwards (retries, experiments a
   * dying target never reached), or an error that ends the dispatch.
   */
  readonly run: (b: B, gpus: readonly number[]) => Promise<Result<readonly B[]>>;
  /** Once aborted nothing new starts; the batches in flight are waited for (they stop on the same signal). */
  readonly signal: AbortSignal;
  /** Called once, on the first error: the caller stops the batches still in flight. */
  readonly onError?: () => void;
  /**
   * isolate_baseline: while held, no batch starts (an experiment waits to take its baselines on an idle node);
   * `changed` resolves when that may have changed.
   */
  readonly gate?: { isHeld(): boolean; changed(): Promise<void> } | undefined;
}

/**
 * `placement: pack`: keeps as many batches in flight as the GPUs allow, each on a GPU set no other batch in
 * flight holds (the GpuScheduler's promise), in campaign order with backfill. A batch's follow-ups queue behind
 * the rest. Resolves when nothing is in flight and nothing more may start; with the first error, if any.
 */
export async function dispatchPacked<B>(o: PackedDispatchOptions<B>): Promise<Result<void>> {
  const sched = new GpuScheduler(o.gpus, []);
  const byKey = new Map<string, B>();
  let seq = 0;
  const submit = (bs: readonly B[]): Result<void> => {
    const requests = bs.map((b) => {
      const key = `batch-${seq++}`;
      byKey.set(key, b);
      return { key, ...o.need(b) };
    });
    try {
      sched.add(requests);
      return ok(undefined);
    } catch (e) {
      return err(lemError(ErrorCode.CONFIG_INVALID, (e as Error).message));
    }
  };
  let failure = submit(o.batches);
  if (!failure.ok) return failure;
  const inflight = new Map<string, Promise<{ key: string; r: Result<readonly B[]> }>>();
  for (;;) {
    // A held gate means a harness in flight waits at it; with nothing in flight nobody can, whatever it says.
    const gateOpen = !o.gate?.isHeld() || inflight.size === 0;
    if (!o.signal.aborted && failure.ok && gateOpen) {
      for (const p of sched.next()) {
        const b = byKey.get(p.key)!;
        const settled = o.run(b, p.gpus).then(
          (r) => ({ key: p.key, r }),
          // A throw (the manifest cannot be written: disk full) keeps its code; the other batches are stopped.
          (e: unknown) => ({ key: p.key, r: err(fromUnknown(e)) }),
        );
        inflight.set(p.key, settled);
      }
    }
    if (inflight.size === 0) break;
    const settled = await Promise.race([...inflight.values(), ...(o.gate ? [o.gate.changed()] : [])]);
    if (settled === undefined) continue;
    const { key, r } = settled;
    inflight.delete(key);
    byKey.delete(key);
    sched.finish(key);
    if (!r.ok) {
      if (failure.ok) o.onError?.();
      if (failure.ok) failure = r;
      continue;
    }
    if (!o.signal.aborted && failure.ok && r.value.length > 0) {
      const more = submit(r.value);
      if (!more.ok) {
        o.onError?.();
        failure = more;
      }
    }
  }
  return failure;
}
