import type { HarnessEvent } from '../../contract/events.js';
import type { EntryPatch } from '../manifest.js';
import {
  HARNESS_BUSY_EXIT,
  isTerminal,
  type BatchEvent,
  type BatchState,
  type Clock,
  type Effect,
  type ExpState,
  type Step,
} from './batch-state.js';

export * from './batch-state.js';

/** One batch's state machine, pure: (state, event) → (state, effects). */

export function reduce(s: BatchState, ev: BatchEvent): Step {
  if (s.ended) return { state: s, effects: [] };
  switch (ev.kind) {
    case 'harness':
      return onHarness(s, ev.event, ev.at);
    case 'result-checked':
      return onResultChecked(s, ev.id, ev.error, ev.at);
    case 'timeout':
      return onTimeout(s, ev.id);
    case 'abort':
      if (s.aborted) return { state: s, effects: [] };
      return { state: { ...s, aborted: true }, effects: s.exit ? [] : [{ kind: 'stop-batch' }] };
    case 'exec-ended':
      return onExecEnded(s, ev.exitCode, ev.busyWith);
    case 'target-inspected':
      return onInspected(s, ev.alive, ev.description, ev.at);
  }
}

/** A changed copy of the state with one experiment replaced. */
function withExp(s: BatchState, id: string, change: Partial<ExpState>): BatchState {
  return { ...s, exps: s.exps.map((e) => (e.id === id ? { ...e, ...change } : e)) };
}

function find(s: BatchState, id: string): ExpState | undefined {
  return s.exps.find((e) => e.id === id);
}

const ignored = (s: BatchState, text: string): Step => ({
  state: s,
  effects: [{ kind: 'log', text: `[lem] ${text}\n` }],
});

/** How a serve load's progress phase begins: line progress reports tell it from the other phases by it. */
export const LOAD_PHASE_PREFIX = 'load ';

function phaseText(ev: HarnessEvent): string | undefined {
  switch (ev.event) {
    case 'engine_loading':
      return 'loading engine';
    case 'engine_loaded':
      return `engine loaded in ${ev.load_s.toFixed(1)} s`;
    case 'baseline':
      return `idle baseline ${ev.duration_s} s`;
    case 'warmup':
      return `warmup ${ev.run}/${ev.max_runs}${ev.cv === null ? '' : ` cv=${ev.cv.toFixed(3)}`}`;
    case 'measuring':
      return 'measuring';
    case 'load_progress': {
      const failed = ev.failed > 0 ? `, ${ev.failed} failed` : '';
      return `${LOAD_PHASE_PREFIX}${ev.done}${ev.total === null ? '' : `/${ev.total}`} requests${failed}, ${ev.elapsed_s} s`;
    }
    default:
      return undefined;
  }
}

function onHarness(s: BatchState, ev: HarnessEvent, at: Clock): Step {
  if (!('experiment_id' in ev) || s.exit) return { state: s, effects: [] };
  const id = ev.experiment_id;
  const e = find(s, id);
  // Only this batch's experiments are the exec's to report on; anything else is a harness bug, kept in the log.
  if (!e) return ignored(s, `ignored "${ev.event}" of ${id}, which is not in this batch (${s.batchId})`);
  if (isTerminal(e.phase))
    return ignored(
      s,
      `ignored "${ev.event}" of ${id}, which has already ${e.phase === 'completed' ? 'completed' : 'ended'}`,
    );
  switch (ev.event) {
    case 'started':
      if (e.phase !== 'queued') return ignored(s, `ignored a second "started" of ${id}`);
      return onStarted(s, e, at);
    case 'finished':
      if (e.phase !== 'running')
        return ignored(
          s,
          `ignored "finished" of ${id}, which ${e.phase === 'queued' ? 'had not started' : 'had already finished'}`,
        );
      return {
        state: withExp(s, id, { phase: 'checking' }),
        effects: [{ kind: 'check-result', id, attempt: e.attempts }],
      };
    case 'failed':
      return onFailed(s, e, ev.reason, at);
    default: {
      const text = phaseText(ev);
      return { state: s, effects: text === undefined ? [] : [{ kind: 'phase', id, text }] };
    }
  }
}

/** Where the attempt ran, besides its container: its GPU set under `placement: pack`. */
const placed = (s: BatchState): EntryPatch => (s.gpus ? { gpus: [...s.gpus] } : {});

function onStarted(s: BatchState, e: ExpState, at: Clock): Step {
  const patch: EntryPatch = {
    status: 'running',
    attempts: e.attempt,
    started_at: at.iso,
    finished_at: null,
    container: s.target,
    ...placed(s),
    log_path: e.logPath,
    error: null,
  };
  return {
    state: withExp(s, e.id, { phase: 'running', attempts: e.attempt, startedAtMs: at.ms }),
    effects: [
      { kind: 'log-to', id: e.id },
      { kind: 'patch', id: e.id, patch },
      { kind: 'phase', id: e.id, text: 'started' },
      { kind: 'arm-timeout', id: e.id },
    ],
  };
}

const timeoutReason = (s: BatchState) => `timed out: ran longer than experiment_timeout_s (${s.timeoutS} s)`;

function onFailed(s: BatchState, e: ExpState, reason: string, at: Clock): Step {
  if (e.id === s.timedOut) return fail(s, e, timeoutReason(s), at);
  // An interrupted attempt does not count; one interrupted in the pause before it never started, and the attempts
  // already made (a retry's earlier failure) stand.
  if (reason.startsWith('interrupted')) return interrupt(s, e, reason, at);
  // A failure reported before `started` (the harness rejected the experiment) still counts as an attempt, or a
  // failing experiment would be dispatched again for ever.
  if (e.phase === 'queued') return fail(s, { ...e, attempts: e.attempt }, reason, at, { attempts: e.attempt });
  return fail(s, e, reason, at);
}

function interrupt(s: BatchState, e: ExpState, reason: string, at: Clock): Step {
  const attempts = e.startedAtMs !== undefined ? Math.max(0, e.attempts - 1) : e.attempts;
  return {
    state: withExp(s, e.id, { phase: 'interrupted', attempts }),
    effects: [
      { kind: 'patch', id: e.id, patch: { status: 'interrupted', finished_at: at.iso, error: reason, attempts } },
      { kind: 'disarm-timeout', id: e.id },
      { kind: 'done', id: e.id, text: 'interrupted' },
    ],
  };
}

/** A failed attempt: a retry is news (a note), only a final failure moves the progress count. */
function fail(s: BatchState, e: ExpState, reason: string, at: Clock, extra: EntryPatch = {}): Step {
  const attempts = extra.attempts ?? e.attempts;
  const retrying = attempts <= s.retries;
  const patch: EntryPatch = {
    ...extra,
    status: 'failed',
    finished_at: at.iso,
    error: reason,
    container: s.target,
    ...placed(s),
    log_path: e.logPath,
  };
  const what = `failed (attempt ${attempts}${retrying ? ', will retry' : ''}): ${reason} — log: ${e.logPath}`;
  return {
    state: withExp(s, e.id, { phase: 'failed', attempts }),
    effects: [
      { kind: 'patch', id: e.id, patch },
      { kind: 'disarm-timeout', id: e.id },
      retrying ? { kind: 'note', text: `${e.id} ${what}` } : { kind: 'done', id: e.id, text: what },
    ],
  };
}

function onResultChecked(s: BatchState, id: string, error: string | undefined, at: Clock): Step {
  const e = find(s, id);
  if (!e || e.phase !== 'checking') return { state: s, effects: [] };
  if (error !== undefined) return fail(s, e, error, at);
  const secs = ((at.ms - (e.startedAtMs ?? at.ms)) / 1000).toFixed(1);
  return {
    state: withExp(s, id, { phase: 'completed' }),
    effects: [
      {
        kind: 'patch',
        id,
        patch: { status: 'completed', finished_at: at.iso, result_path: e.resultPath, error: null },
      },
      { kind: 'disarm-timeout', id },
      { kind: 'done', id, text: `completed in ${secs} s` },
    ],
  };
}

function onTimeout(s: BatchState, id: string): Step {
  const e = find(s, id);
  if (s.timedOut !== undefined || s.aborted || s.exit || !e || e.phase !== 'running') return { state: s, effects: [] };
  return {
    state: { ...s, timedOut: id },
    effects: [
      { kind: 'note', text: `${id} has run longer than experiment_timeout_s (${s.timeoutS} s): stopping it` },
      { kind: 'stop-batch' },
    ],
  };
}

function onExecEnded(s: BatchState, code: number | null, busyWith: string | undefined): Step {
  if (s.exit) return { state: s, effects: [] };
  const next = { ...s, exit: { code } };
  const started = s.exps.filter((e) => e.startedAtMs !== undefined);
  // A harness that exited 0 with every experiment it started reported leaves nothing to explain: no inspection of
  // the target (a Docker API round trip per batch). A target that died since is caught before the next batch.
  if (code === 0 && !s.aborted && started.length > 0 && started.every((e) => isTerminal(e.phase))) {
    return { state: { ...next, ended: true }, effects: [{ kind: 'end' }] };
  }
  // Refused only when a harness holding the target was seen: exit 3 alone may be any harness's own failure.
  if (code === HARNESS_BUSY_EXIT && busyWith !== undefined && started.length === 0 && !s.aborted) {
    const reason = `${s.target} is busy: ${busyWith} is measuring there; nothing of batch ${s.batchId} ran`;
    return { state: { ...next, ended: true }, effects: [{ kind: 'refuse', reason }, { kind: 'end' }] };
  }
  return { state: next, effects: [{ kind: 'inspect-target' }] };
}

/** The exec ended and the target's fate is known: whatever it started but did not finish fails with it. */
function onInspected(s: BatchState, alive: boolean, description: string, at: Clock): Step {
  if (!s.exit) return { state: s, effects: [] };
  const why = s.aborted
    ? 'interrupted'
    : !alive
      ? `backend container ${s.target} died during the experiment (${description})`
      : `the harness exited with code ${s.exit.code ?? 'unknown'} before finishing`;
  const effects: Effect[] = [];
  let state: BatchState = s;
  const apply = (step: Step) => {
    state = step.state;
    effects.push(...step.effects);
  };
  const startedAny = s.exps.some((e) => e.startedAtMs !== undefined);
  for (const e of s.exps) {
    if (isTerminal(e.phase)) continue;
    if (e.startedAtMs !== undefined) {
      if (e.id === s.timedOut) apply(fail(state, e, timeoutReason(s), at));
      else if (s.aborted) apply(interrupt(state, e, 'interrupted', at));
      else apply(fail(state, e, why, at));
    } else if (!startedAny && !s.aborted) {
      // An exec that never started any experiment (a broken spec, a missing interpreter) must not loop forever:
      // each experiment of it spends an attempt.
      effects.push({ kind: 'log-to', id: e.id });
      const counted = { ...e, attempts: e.attempt };
      apply(fail(state, counted, `${why}; no experiment of the batch started`, at, { attempts: e.attempt }));
    }
  }
  if (!alive && !s.aborted) {
    effects.push(
      { kind: 'note', text: `backend container ${s.target} is ${description}: restarting it` },
      { kind: 'restart-target' },
    );
  }
  effects.push({ kind: 'end' });
  return { state: { ...state, ended: true }, effects };
}
