import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mustWrite, writeFileAtomic } from '../core/atomic-file.js';
import { decideGate, gateStages, type GateStage } from './gate-decide.js';

/** When an experiment held the baseline gate: granted, baselines done (the harness's clock), resumed. */
export interface GateWindow {
  readonly granted_at: string;
  readonly done_at: string | null;
  readonly resumed_at: string | null;
}

/**
 * isolate_baseline: lem's side of the baseline gate (gate-decide.ts has the rules; lem_harness/baseline_gate.py
 * the harness's side). Polls the gate folder on the shared results volume, writes `.go` and `.resume` markers,
 * and tells the pack dispatcher when it must not start new batches. Remembers each experiment's window, which
 * lem records in the result's placement.
 */
export class BaselineGateKeeper {
  private readonly arrivals = new Map<string, number>();
  private arrived = 0;
  private readonly windows = new Map<string, { -readonly [K in keyof GateWindow]: GateWindow[K] }>();
  private held = false;
  private listeners: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly hostDir: string,
    private readonly pollMs = 50,
  ) {}

  /** Starts polling, from an empty folder: markers a killed earlier run left mean nothing now. */
  start(): void {
    rmSync(this.hostDir, { recursive: true, force: true });
    mkdirSync(this.hostDir, { recursive: true });
    this.timer = setInterval(() => this.tick(), this.pollMs);
  }

  /** Stops polling and removes the folder: nothing waits at the gate once the dispatch is over. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    rmSync(this.hostDir, { recursive: true, force: true });
  }

  /** Whether new batches must wait (someone waits at the gate, holds it, or is parked). */
  isHeld(): boolean {
    return this.held;
  }

  /** Resolves when isHeld() may have changed. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  window(id: string): GateWindow | undefined {
    return this.windows.get(id);
  }

  /**
   * A batch ended: its experiments no longer take part, whatever their markers say (a harness that died cannot
   * write `.end`). Their markers are removed, so that a retry of the same experiment starts afresh.
   */
  forget(ids: readonly string[]): void {
    for (const id of ids) {
      for (const stage of ['want', 'go', 'done', 'resume', 'end']) rmSync(this.marker(id, stage), { force: true });
      this.arrivals.delete(id);
    }
    this.tick();
  }

  private marker(id: string, stage: string): string {
    return join(this.hostDir, `${id}.${stage}`);
  }

  /** One look at the folder: writes what the rules say, and wakes the dispatcher when `held` changes. */
  tick(): void {
    if (!existsSync(this.hostDir)) return;
    const stages = gateStages(readdirSync(this.hostDir));
    for (const [id, stage] of stages) this.observe(id, stage);
    const d = decideGate(stages, (id) => this.arrivals.get(id) ?? Number.MAX_SAFE_INTEGER);
    const now = new Date().toISOString();
    for (const id of d.grant) {
      mustWrite(writeFileAtomic(this.marker(id, 'go'), `${now}\n`, { durable: false }));
      this.windows.set(id, { granted_at: now, done_at: null, resumed_at: null });
    }
    for (const id of d.resume) {
      mustWrite(writeFileAtomic(this.marker(id, 'resume'), `${now}\n`, { durable: false }));
      const w = this.windows.get(id);
      if (w) w.resumed_at = now;
    }
    // Resuming every parked experiment (nobody waiting or granted) lifts the hold.
    const held = d.hold && d.resume.length === 0;
    if (held !== this.held) {
      this.held = held;
      for (const l of this.listeners.splice(0)) l();
    }
  }

  private observe(id: string, stage: GateStage): void {
    if (stage === 'want' && !this.arrivals.has(id)) this.arrivals.set(id, this.arrived++);
    const w = this.windows.get(id);
    if (w && w.done_at === null && stage !== 'want' && stage !== 'go') w.done_at = this.doneAt(id);
  }

  /** The harness writes the time (Unix seconds) into `.done`: when its baselines ended, on its own clock. */
  private doneAt(id: string): string {
    try {
      const s = Number(readFileSync(this.marker(id, 'done'), 'utf8').trim());
      if (Number.isFinite(s)) return new Date(s * 1000).toISOString();
    } catch {
      // No `.done` (the experiment ended without baselines, e.g. it failed loading): when lem saw it move on.
    }
    return new Date().toISOString();
  }
}
