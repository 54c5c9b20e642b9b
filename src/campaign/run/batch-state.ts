import type { HarnessEvent } from '../../contract/events.js';
import type { EntryPatch } from '../manifest.js';

/**
 * The state, events and effects of one batch's state machine (the transitions are in reducer.ts). Every change
 * the runner makes to the manifest while a batch runs is decided there; the supervisor only carries the effects
 * out. Time comes in with the events, so the same events always give the same manifest.
 */

/** Where one experiment of the batch stands. `checking`: the harness said finished, its result file is read. */
export type ExpPhase = 'queued' | 'running' | 'checking' | 'completed' | 'failed' | 'interrupted';

export interface ExpState {
  readonly id: string;
  /** The attempt this batch makes (1 + attempts before it). */
  readonly attempt: number;
  /** The manifest's attempt count for this experiment, as this batch has left it so far. */
  readonly attempts: number;
  readonly phase: ExpPhase;
  /** When the harness reported `started` (ms); undefined while it has not. */
  readonly startedAtMs: number | undefined;
  /** Paths recorded in the manifest, relative to the project folder. */
  readonly logPath: string;
  readonly resultPath: string;
}

export interface BatchState {
  readonly batchId: string;
  /** The name the target (a container) is known by in messages and the manifest. */
  readonly target: string;
  /** The GPU set the target holds (placement: pack), recorded with the container in the manifest. */
  readonly gpus?: readonly number[] | undefined;
  readonly retries: number;
  readonly timeoutS: number;
  readonly exps: readonly ExpState[];
  readonly timedOut: string | undefined;
  readonly aborted: boolean;
  /** The exec's exit code once it ended (null: unknown); undefined while it runs. */
  readonly exit: { readonly code: number | null } | undefined;
  readonly ended: boolean;
}

export interface Clock {
  readonly ms: number;
  readonly iso: string;
}

export type BatchEvent =
  | { readonly kind: 'harness'; readonly event: HarnessEvent; readonly at: Clock }
  | { readonly kind: 'result-checked'; readonly id: string; readonly error: string | undefined; readonly at: Clock }
  | { readonly kind: 'timeout'; readonly id: string; readonly at: Clock }
  | { readonly kind: 'abort'; readonly at: Clock }
  | {
      readonly kind: 'exec-ended';
      readonly exitCode: number | null;
      /** Another harness found holding the target after a busy exit (its pid and campaign, in words). */
      readonly busyWith?: string | undefined;
      readonly at: Clock;
    }
  | { readonly kind: 'target-inspected'; readonly alive: boolean; readonly description: string; readonly at: Clock };

export type Effect =
  | { readonly kind: 'patch'; readonly id: string; readonly patch: EntryPatch }
  | { readonly kind: 'phase'; readonly id: string; readonly text: string }
  | { readonly kind: 'done'; readonly id: string; readonly text: string }
  | { readonly kind: 'note'; readonly text: string }
  | { readonly kind: 'log'; readonly text: string }
  | { readonly kind: 'log-to'; readonly id: string }
  | { readonly kind: 'check-result'; readonly id: string; readonly attempt: number }
  | { readonly kind: 'arm-timeout'; readonly id: string }
  | { readonly kind: 'disarm-timeout'; readonly id: string }
  | { readonly kind: 'stop-batch' }
  | { readonly kind: 'inspect-target' }
  | { readonly kind: 'restart-target' }
  /** The exec found another harness measuring in the target and ran nothing: the run must stop, unchanged. */
  | { readonly kind: 'refuse'; readonly reason: string }
  | { readonly kind: 'end' };

export interface Step {
  readonly state: BatchState;
  readonly effects: readonly Effect[];
}

export { HARNESS_BUSY_EXIT } from '../harness-client.js';

export interface BatchInit {
  readonly batchId: string;
  readonly target: string;
  readonly gpus?: readonly number[] | undefined;
  readonly retries: number;
  readonly timeoutS: number;
  readonly exps: readonly { id: string; attempts: number; logPath: string; resultPath: string }[];
}

export function initBatch(o: BatchInit): BatchState {
  const exps = o.exps.map((e) => ({ ...e, attempt: e.attempts + 1, phase: 'queued' as const, startedAtMs: undefined }));
  const base = { batchId: o.batchId, target: o.target, retries: o.retries, timeoutS: o.timeoutS, gpus: o.gpus };
  return { ...base, exps, timedOut: undefined, aborted: false, exit: undefined, ended: false };
}

const TERMINAL: ReadonlySet<ExpPhase> = new Set(['completed', 'failed', 'interrupted']);
export const isTerminal = (p: ExpPhase): boolean => TERMINAL.has(p);
