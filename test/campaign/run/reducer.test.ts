import { describe, expect, it } from 'vitest';
import type { HarnessEvent } from '../../../src/contract/events.js';
import {
  initBatch,
  reduce,
  type BatchEvent,
  type BatchState,
  type Effect,
  type ExpPhase,
} from '../../../src/campaign/run/reducer.js';

// The batch state machine, pure: every event in every experiment state, each with the manifest patches and the
// other effects it must give.

const at = (ms: number) => ({ ms, iso: new Date(ms).toISOString() });
const T0 = Date.parse('2026-12-01T00:00:00Z');

function fresh(o: { retries?: number; attempts?: number } = {}): BatchState {
  return initBatch({
    batchId: 'b000001-e1',
    target: 'lem-p-synthetic',
    retries: o.retries ?? 1,
    timeoutS: 60,
    exps: ['e1', 'e2'].map((id) => ({
      id,
      attempts: o.attempts ?? 0,
      logPath: `.state/logs/${id}.log`,
      resultPath: `results/c/${id}/result.json`,
    })),
  });
}

const h = (event: HarnessEvent, ms = T0): BatchEvent => ({ kind: 'harness', event, at: at(ms) });
const started = (id = 'e1') => h({ event: 'started', ts: 0, experiment_id: id });
const finished = (id = 'e1') => h({ event: 'finished', ts: 0, experiment_id: id, result_path: 'x', duration_s: 1 });
const failed = (reason: string, id = 'e1') => h({ event: 'failed', ts: 0, experiment_id: id, reason });
const checked = (error?: string, id = 'e1'): BatchEvent => ({ kind: 'result-checked', id, error, at: at(T0 + 2500) });
const measuring = (id = 'e1') => h({ event: 'measuring', ts: 0, experiment_id: id });
const execEnded = (exitCode: number | null, busyWith?: string): BatchEvent => ({
  kind: 'exec-ended',
  exitCode,
  busyWith,
  at: at(T0),
});
const inspected = (alive: boolean): BatchEvent => ({
  kind: 'target-inspected',
  alive,
  description: alive ? 'healthy' : 'stopped (exit code 137)',
  at: at(T0),
});

function run(s: BatchState, events: readonly BatchEvent[]): { state: BatchState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const ev of events) {
    const step = reduce(s, ev);
    s = step.state;
    effects.push(...step.effects);
  }
  return { state: s, effects };
}

const phaseOf = (s: BatchState, id = 'e1') => s.exps.find((e) => e.id === id)!.phase;
const kinds = (effects: readonly Effect[]) => effects.map((e) => e.kind);
const patches = (effects: readonly Effect[], id = 'e1') =>
  effects.flatMap((e) => (e.kind === 'patch' && e.id === id ? [e.patch] : []));

/** How to bring e1 into each state. */
const reach: Record<ExpPhase, BatchEvent[]> = {
  queued: [],
  running: [started()],
  checking: [started(), finished()],
  completed: [started(), finished(), checked()],
  failed: [started(), failed('boom')],
  interrupted: [started(), failed('interrupted by SIGTERM')],
};

/** Each harness event in each state of e1: the state it leaves e1 in, and the effects it gives (in order). */
const table: { name: string; ev: BatchEvent; expect: Record<ExpPhase, [ExpPhase, string[]]> }[] = [
  {
    name: 'started',
    ev: started(),
    expect: {
      queued: ['running', ['log-to', 'patch', 'phase', 'arm-timeout']],
      running: ['running', ['log']],
      checking: ['checking', ['log']],
      completed: ['completed', ['log']],
      failed: ['failed', ['log']],
      interrupted: ['interrupted', ['log']],
    },
  },
  {
    name: 'measuring',
    ev: measuring(),
    expect: {
      queued: ['queued', ['phase']],
      running: ['running', ['phase']],
      checking: ['checking', ['phase']],
      completed: ['completed', ['log']],
      failed: ['failed', ['log']],
      interrupted: ['interrupted', ['log']],
    },
  },
  {
    name: 'finished',
    ev: finished(),
    expect: {
      queued: ['queued', ['log']],
      running: ['checking', ['check-result']],
      checking: ['checking', ['log']],
      completed: ['completed', ['log']],
      failed: ['failed', ['log']],
      interrupted: ['interrupted', ['log']],
    },
  },
  {
    name: 'failed (an error)',
    ev: failed('engine crashed'),
    expect: {
      queued: ['failed', ['patch', 'disarm-timeout', 'note']],
      running: ['failed', ['patch', 'disarm-timeout', 'note']],
      checking: ['failed', ['patch', 'disarm-timeout', 'note']],
      completed: ['completed', ['log']],
      failed: ['failed', ['log']],
      interrupted: ['interrupted', ['log']],
    },
  },
  {
    name: 'failed (interrupted)',
    ev: failed('interrupted'),
    expect: {
      queued: ['interrupted', ['patch', 'disarm-timeout', 'done']],
      running: ['interrupted', ['patch', 'disarm-timeout', 'done']],
      checking: ['interrupted', ['patch', 'disarm-timeout', 'done']],
      completed: ['completed', ['log']],
      failed: ['failed', ['log']],
      interrupted: ['interrupted', ['log']],
    },
  },
  {
    name: 'result checked, valid',
    ev: checked(),
    expect: {
      queued: ['queued', []],
      running: ['running', []],
      checking: ['completed', ['patch', 'disarm-timeout', 'done']],
      completed: ['completed', []],
      failed: ['failed', []],
      interrupted: ['interrupted', []],
    },
  },
  {
    name: 'result checked, invalid',
    ev: checked('result file missing'),
    expect: {
      queued: ['queued', []],
      running: ['running', []],
      checking: ['failed', ['patch', 'disarm-timeout', 'note']],
      completed: ['completed', []],
      failed: ['failed', []],
      interrupted: ['interrupted', []],
    },
  },
  {
    name: 'timeout fired',
    ev: { kind: 'timeout', id: 'e1', at: at(T0) },
    expect: {
      queued: ['queued', []],
      running: ['running', ['note', 'stop-batch']],
      checking: ['checking', []],
      completed: ['completed', []],
      failed: ['failed', []],
      interrupted: ['interrupted', []],
    },
  },
];

describe('batch reducer: every harness event in every experiment state', () => {
  for (const row of table) {
    for (const phase of Object.keys(reach) as ExpPhase[]) {
      it(`${row.name} when ${phase}`, () => {
        const before = run(fresh(), reach[phase]).state;
        const step = reduce(before, row.ev);
        const [phaseAfter, effectKinds] = row.expect[phase];
        expect(phaseOf(step.state)).toBe(phaseAfter);
        expect(kinds(step.effects)).toEqual(effectKinds);
        // e2 is never touched by e1's events.
        expect(phaseOf(step.state, 'e2')).toBe('queued');
      });
    }
  }
});

describe('batch reducer: progress text', () => {
  it("a serve load's progress is a phase: done of total, failures when there are any, elapsed time", () => {
    const progress = (total: number | null, failed: number) =>
      h({ event: 'load_progress', ts: 0, experiment_id: 'e1', done: 320, total, failed, elapsed_s: 41.5 });
    const texts = (ev: BatchEvent) =>
      run(fresh(), [started(), ev])
        .effects.filter((e) => e.kind === 'phase')
        .map((e) => e.kind === 'phase' && e.text);
    expect(texts(progress(1000, 0))).toEqual(['started', 'load 320/1000 requests, 41.5 s']);
    expect(texts(progress(null, 2))).toEqual(['started', 'load 320 requests, 2 failed, 41.5 s']);
  });
});

describe('batch reducer: manifest patches', () => {
  it('started records the attempt, the target and the log; a valid result completes it with its path', () => {
    const { state, effects } = run(fresh({ attempts: 1, retries: 2 }), [started(), finished(), checked()]);
    expect(patches(effects)).toEqual([
      {
        status: 'running',
        attempts: 2,
        started_at: at(T0).iso,
        finished_at: null,
        container: 'lem-p-synthetic',
        log_path: '.state/logs/e1.log',
        error: null,
      },
      { status: 'completed', finished_at: at(T0 + 2500).iso, result_path: 'results/c/e1/result.json', error: null },
    ]);
    expect(effects).toContainEqual({ kind: 'check-result', id: 'e1', attempt: 2 });
    expect(effects).toContainEqual({ kind: 'done', id: 'e1', text: 'completed in 2.5 s' });
    expect(state.exps[0]!.attempts).toBe(2);
  });

  it('a failure with a retry ahead is a note; the last attempt moves the progress count', () => {
    const first = run(fresh({ retries: 1 }), [started(), failed('boom')]);
    expect(first.effects.at(-1)).toEqual({
      kind: 'note',
      text: 'e1 failed (attempt 1, will retry): boom — log: .state/logs/e1.log',
    });
    const last = run(fresh({ retries: 1, attempts: 1 }), [started(), failed('boom')]);
    expect(last.effects.at(-1)).toEqual({
      kind: 'done',
      id: 'e1',
      text: 'failed (attempt 2): boom — log: .state/logs/e1.log',
    });
    expect(patches(last.effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'boom',
      container: 'lem-p-synthetic',
    });
  });

  it('an interrupted attempt does not count; one interrupted before it started keeps the attempts already made', () => {
    const ran = run(fresh({ attempts: 1 }), [started(), failed('interrupted')]);
    expect(patches(ran.effects).at(-1)).toMatchObject({ status: 'interrupted', attempts: 1 });
    const waiting = run(fresh({ attempts: 1 }), [failed('interrupted')]);
    expect(patches(waiting.effects)).toEqual([
      { status: 'interrupted', finished_at: at(T0).iso, error: 'interrupted', attempts: 1 },
    ]);
  });

  it('a failure reported before "started" spends an attempt, so a rejected experiment cannot loop for ever', () => {
    const { effects } = run(fresh({ retries: 0 }), [failed('bad config')]);
    expect(patches(effects)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, error: 'bad config' })]);
    expect(effects.at(-1)).toMatchObject({ kind: 'done' });
  });

  it('the experiment that timed out fails with that reason, whatever the harness says', () => {
    const { effects } = run(fresh(), [started(), { kind: 'timeout', id: 'e1', at: at(T0) }, failed('interrupted')]);
    expect(patches(effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'timed out: ran longer than experiment_timeout_s (60 s)',
    });
  });
});

describe('batch reducer: foreign, duplicate and late events', () => {
  it('an event for an experiment outside the batch is logged and changes nothing', () => {
    const s = fresh();
    for (const ev of [started('x9'), finished('x9'), failed('boom', 'x9')]) {
      const step = reduce(s, ev);
      expect(step.state).toBe(s);
      expect(step.effects).toEqual([{ kind: 'log', text: expect.stringMatching(/not in this batch \(b000001-e1\)/) }]);
    }
  });

  it('batch_started and batch_finished carry no experiment: no effect', () => {
    const s = fresh();
    expect(
      reduce(s, h({ event: 'batch_started', ts: 0, batch_id: 'b', harness_version: '1', experiments: 2 })).effects,
    ).toEqual([]);
    expect(reduce(s, h({ event: 'batch_finished', ts: 0, batch_id: 'b', completed: 0, failed: 0 })).effects).toEqual(
      [],
    );
  });

  it('a duplicate finish after completion is ignored: one completion, one patch', () => {
    const { effects } = run(fresh(), [started(), finished(), checked(), finished(), checked()]);
    expect(patches(effects).filter((p) => p.status === 'completed')).toHaveLength(1);
  });

  it('a timeout for an experiment that is not running, a second timeout, or one after abort: no effect', () => {
    const timeout = { kind: 'timeout', id: 'e1', at: at(T0) } as const;
    expect(reduce(fresh(), timeout).effects).toEqual([]);
    const once = run(fresh(), [started(), timeout]);
    expect(reduce(once.state, timeout).effects).toEqual([]);
    const aborted = run(fresh(), [started(), { kind: 'abort', at: at(T0) }]);
    expect(reduce(aborted.state, timeout).effects).toEqual([]);
  });

  it('abort stops the batch once; after the exec ended it only marks the state', () => {
    const abort = { kind: 'abort', at: at(T0) } as const;
    const first = reduce(fresh(), abort);
    expect(first.effects).toEqual([{ kind: 'stop-batch' }]);
    expect(reduce(first.state, abort).effects).toEqual([]);
    const ended = run(fresh(), [started(), execEnded(1)]);
    expect(reduce(ended.state, abort).effects).toEqual([]);
  });

  it('harness events after the exec ended, and anything after the batch ended, change nothing', () => {
    const ended = run(fresh(), [started(), execEnded(1)]).state;
    expect(reduce(ended, finished()).effects).toEqual([]);
    const done = run(fresh(), [
      started(),
      finished(),
      checked(),
      started('e2'),
      finished('e2'),
      checked(undefined, 'e2'),
      execEnded(0),
    ]).state;
    expect(done.ended).toBe(true);
    for (const ev of [started(), execEnded(1), inspected(false), { kind: 'abort', at: at(T0) } as const])
      expect(reduce(done, ev)).toEqual({ state: done, effects: [] });
  });

  it('target-inspected before the exec ended is ignored; exec-ended twice counts once', () => {
    expect(reduce(fresh(), inspected(false)).effects).toEqual([]);
    const once = run(fresh(), [started(), execEnded(1)]).state;
    expect(reduce(once, execEnded(0)).effects).toEqual([]);
  });
});

describe('batch reducer: the exec ends', () => {
  it('exit 0 with every started experiment reported: the batch ends without inspecting the target', () => {
    const { effects, state } = run(fresh(), [started(), finished(), checked(), execEnded(0)]);
    expect(effects.at(-1)).toEqual({ kind: 'end' });
    expect(kinds(effects)).not.toContain('inspect-target');
    expect(state.ended).toBe(true);
  });

  it('experiments left unfinished by a harness that exited: they fail with the exit code, the queued ones stay queued', () => {
    const { effects } = run(fresh(), [started(), execEnded(1)]);
    expect(effects.at(-1)).toEqual({ kind: 'inspect-target' });
    const after = run(fresh(), [started(), execEnded(1), inspected(true)]);
    expect(patches(after.effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'the harness exited with code 1 before finishing',
    });
    expect(patches(after.effects, 'e2')).toEqual([]);
    expect(kinds(after.effects)).not.toContain('restart-target');
    expect(after.effects.at(-1)).toEqual({ kind: 'end' });
  });

  it('exit 0 with an experiment started but unreported is not clean: it fails too', () => {
    const { effects } = run(fresh(), [started(), execEnded(0), inspected(true)]);
    expect(patches(effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'the harness exited with code 0 before finishing',
    });
  });

  it('a dead target: the running experiment fails naming it, and the target is restarted', () => {
    const { effects } = run(fresh(), [started(), execEnded(null), inspected(false)]);
    expect(patches(effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'backend container lem-p-synthetic died during the experiment (stopped (exit code 137))',
    });
    expect(kinds(effects).slice(-3)).toEqual(['note', 'restart-target', 'end']);
  });

  it('interrupted: the running experiment is interrupted (its attempt not counted), nothing is restarted', () => {
    const { effects } = run(fresh({ attempts: 1 }), [
      started(),
      { kind: 'abort', at: at(T0) },
      execEnded(null),
      inspected(false),
    ]);
    expect(patches(effects).at(-1)).toMatchObject({ status: 'interrupted', attempts: 1 });
    expect(kinds(effects)).not.toContain('restart-target');
    expect(patches(effects, 'e2')).toEqual([]);
  });

  it('a timed-out experiment whose exec ended without a word fails as timed out', () => {
    const { effects } = run(fresh(), [
      started(),
      { kind: 'timeout', id: 'e1', at: at(T0) },
      execEnded(137),
      inspected(true),
    ]);
    expect(patches(effects).at(-1)).toMatchObject({
      status: 'failed',
      error: 'timed out: ran longer than experiment_timeout_s (60 s)',
    });
  });

  it('an exec that started nothing: every experiment spends an attempt and fails saying so', () => {
    const { effects } = run(fresh({ retries: 0 }), [execEnded(1), inspected(true)]);
    for (const id of ['e1', 'e2']) {
      expect(patches(effects, id)).toEqual([
        expect.objectContaining({
          attempts: 1,
          status: 'failed',
          error: 'the harness exited with code 1 before finishing; no experiment of the batch started',
        }),
      ]);
    }
    expect(kinds(effects).filter((k) => k === 'log-to')).toHaveLength(2);
  });

  it('an exec that started nothing because another harness holds the target (exit 3): refused, nothing changes', () => {
    const { effects, state } = run(fresh(), [execEnded(3, 'the harness (PID 7) of campaign other')]);
    expect(kinds(effects)).toEqual(['refuse', 'end']);
    expect(effects[0]).toMatchObject({
      reason:
        'lem-p-synthetic is busy: the harness (PID 7) of campaign other is measuring there; nothing of batch b000001-e1 ran',
    });
    expect(state.exps.every((e) => e.phase === 'queued')).toBe(true);
  });

  it('exit 3 with no other harness seen is the harness failing on its own: each experiment spends an attempt', () => {
    const { effects } = run(fresh(), [execEnded(3), inspected(true)]);
    expect(kinds(effects)).not.toContain('refuse');
    expect(patches(effects).at(-1)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/exited with code 3/),
    });
  });

  it('exit 3 after an experiment started is an ordinary failure, not a refusal', () => {
    const { effects } = run(fresh(), [
      started(),
      execEnded(3, 'the harness (PID 7) of campaign other'),
      inspected(true),
    ]);
    expect(kinds(effects)).not.toContain('refuse');
    expect(patches(effects).at(-1)).toMatchObject({ status: 'failed' });
  });

  it('a retry is an ordinary batch: the second attempt completes after the first failed', () => {
    const first = run(fresh({ retries: 1 }), [started(), failed('boom'), execEnded(1), inspected(true)]);
    expect(phaseOf(first.state)).toBe('failed');
    const second = run(fresh({ retries: 1, attempts: 1 }), [started(), finished(), checked(), execEnded(0)]);
    expect(second.effects).toContainEqual({ kind: 'check-result', id: 'e1', attempt: 2 });
    expect(phaseOf(second.state)).toBe('completed');
  });

  it('under placement: pack each attempt records its GPU set with its container; serial records none', () => {
    const packed = { ...fresh(), gpus: [1, 2] };
    const r = run(packed, [started(), failed('boom'), execEnded(1), inspected(true)]);
    for (const p of patches(r.effects).filter((x) => x.container !== undefined)) expect(p.gpus).toEqual([1, 2]);
    expect(patches(r.effects).some((x) => x.gpus !== undefined)).toBe(true);
    const serial = run(fresh(), [started(), failed('boom'), execEnded(1), inspected(true)]);
    expect(patches(serial.effects).some((x) => 'gpus' in x)).toBe(false);
  });
});
