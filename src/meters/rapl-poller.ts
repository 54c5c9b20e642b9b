import type { Result } from '../core/result.js';
import { ok } from '../core/result.js';
import { discoverRapl, RaplCounter, readRapl } from './rapl.js';
import type { MeterSample } from './samples.js';

export interface Poller {
  /** Samples so far, in time order. */
  samples(): readonly MeterSample[];
  /** Stops polling; the first read error, if any, ends polling early and is returned here. */
  stop(): Result<readonly MeterSample[]>;
}

/**
 * Polls RAPL on lem's clock while an experiment runs. Reads take microseconds (small sysfs files), so a timer in
 * the orchestrator's process is enough; the GPU-side sampler stays in the harness, next to the GPU.
 */
export function startRaplPoller(
  root: string,
  intervalMs: number,
  now: () => number = () => Date.now() / 1000,
): Result<Poller> {
  const zones = discoverRapl(root);
  if (!zones.ok) return zones;
  const counters = new Map<string, RaplCounter>();
  const samples: MeterSample[] = [];
  let failure: Result<readonly MeterSample[]> | undefined;
  const tick = () => {
    const r = readRapl(zones.value, counters, now());
    if (r.ok) samples.push(...r.value);
    else {
      failure = r;
      clearInterval(timer);
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return ok({
    samples: () => samples,
    stop: () => {
      clearInterval(timer);
      if (failure) return failure;
      tick();
      return failure ?? ok(samples);
    },
  });
}
