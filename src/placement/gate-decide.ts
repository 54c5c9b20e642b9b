/**
 * The baseline gate (isolate_baseline), decided from the marker files each experiment's harness and lem have
 * written (lem_harness/baseline_gate.py). Pure: the gate keeper reads the folder and writes what this returns.
 *
 * An experiment is, by the last marker it has: waiting (want), granted (go), parked (done: baselines taken, doing
 * nothing), working (resume: warmup and measurement) or over (end). Rules:
 * - The gate is granted to one experiment at a time, first come first served, and only while none is working:
 *   its engine load and baselines then meet no other experiment's work, only others that wait or are parked.
 * - Once nobody waits and nobody holds the gate, every parked experiment is resumed at once: they measure side
 *   by side, as a pack run does.
 * - While anyone waits, holds the gate or is parked, no new batch is started (`hold`): it could only add work.
 */

export type GateStage = 'want' | 'go' | 'done' | 'resume' | 'end';

const ORDER: readonly GateStage[] = ['want', 'go', 'done', 'resume', 'end'];

export interface GateDecision {
  /** Experiment ids to write `<id>.go` for (at most one). */
  readonly grant: readonly string[];
  /** Experiment ids to write `<id>.resume` for. */
  readonly resume: readonly string[];
  /** No new batch may start. */
  readonly hold: boolean;
}

/** The furthest stage of each experiment, from a folder listing (`<id>.<stage>`; other names ignored). */
export function gateStages(names: readonly string[]): Map<string, GateStage> {
  const out = new Map<string, GateStage>();
  for (const name of names) {
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || name.startsWith('.')) continue;
    const stage = name.slice(dot + 1) as GateStage;
    if (!ORDER.includes(stage)) continue;
    const id = name.slice(0, dot);
    const had = out.get(id);
    if (had === undefined || ORDER.indexOf(stage) > ORDER.indexOf(had)) out.set(id, stage);
  }
  return out;
}

/**
 * What lem does next. `arrival` orders the waiting experiments (first come, first served); ids missing from it
 * come last, by id.
 */
export function decideGate(stages: ReadonlyMap<string, GateStage>, arrival: (id: string) => number): GateDecision {
  const at = (stage: GateStage) => [...stages].filter(([, s]) => s === stage).map(([id]) => id);
  const waiting = at('want').sort((a, b) => arrival(a) - arrival(b) || a.localeCompare(b));
  const granted = at('go');
  const parked = at('done');
  const working = at('resume');
  const hold = waiting.length + granted.length + parked.length > 0;
  if (granted.length > 0) return { grant: [], resume: [], hold };
  if (waiting.length > 0) return { grant: working.length === 0 ? [waiting[0]!] : [], resume: [], hold };
  return { grant: [], resume: parked, hold };
}
