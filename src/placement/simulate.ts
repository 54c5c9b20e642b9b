import { GpuScheduler, type Placement, type PlacementRequest } from './scheduler.js';

export interface SimulatedStart extends Placement {
  readonly start: number;
  readonly end: number;
}

/**
 * Runs the scheduler against given durations on a virtual clock: what `lem campaign plan` can show for
 * `placement: pack`, and what the tests and the bench check the scheduler's promises with.
 */
export function simulatePlacement(
  gpus: readonly number[],
  requests: readonly PlacementRequest[],
  duration: (key: string) => number,
): { starts: SimulatedStart[]; makespan: number; reservations: Map<string, { at: number; gpus: readonly number[] }> } {
  const s = new GpuScheduler(gpus, requests);
  const starts: SimulatedStart[] = [];
  // Running placements ordered by end time; few at once (at most one per GPU), so a sorted array is enough.
  let running: SimulatedStart[] = [];
  let now = 0;
  const reservations = new Map<string, { at: number; gpus: readonly number[] }>();
  for (;;) {
    for (const p of s.next()) {
      const started = { ...p, start: now, end: now + duration(p.key) };
      starts.push(started);
      running.push(started);
    }
    for (const [key, gpus] of s.reservations) if (!reservations.has(key)) reservations.set(key, { at: now, gpus });
    if (running.length === 0) break;
    running.sort((a, b) => a.end - b.end || a.key.localeCompare(b.key));
    now = running[0]!.end;
    const ending = running.filter((r) => r.end === now);
    running = running.filter((r) => r.end !== now);
    for (const r of ending) s.finish(r.key);
  }
  if (s.pending > 0) throw new Error(`${s.pending} placements never started`);
  return { starts, makespan: now, reservations };
}
