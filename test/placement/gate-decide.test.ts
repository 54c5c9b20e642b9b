import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideGate, gateStages, type GateStage } from '../../src/placement/gate-decide.js';

const byName = (id: string) => Number(id.slice(1));
/** Which harness moves at each step. */
const PICKS = fc.array(fc.nat(), { minLength: 200, maxLength: 200 });

describe('gateStages', () => {
  it("is each experiment's furthest marker; other names are ignored", () => {
    const s = gateStages(['e1.want', 'e1.go', 'e2.want', '.e3.want.tmp', 'e4.other', 'e1.done', 'x.y.resume']);
    expect([...s].sort()).toEqual([
      ['e1', 'done'],
      ['e2', 'want'],
      ['x.y', 'resume'],
    ]);
  });
});

describe('decideGate', () => {
  it('grants the first waiter only while nobody works or holds the gate; resumes the parked together', () => {
    const d = (entries: [string, GateStage][]) => decideGate(new Map(entries), byName);
    expect(d([])).toEqual({ grant: [], resume: [], hold: false });
    expect(
      d([
        ['e2', 'want'],
        ['e1', 'want'],
      ]),
    ).toEqual({ grant: ['e1'], resume: [], hold: true });
    expect(
      d([
        ['e1', 'want'],
        ['e2', 'resume'],
      ]),
    ).toEqual({ grant: [], resume: [], hold: true });
    expect(
      d([
        ['e1', 'want'],
        ['e2', 'go'],
      ]),
    ).toEqual({ grant: [], resume: [], hold: true });
    expect(
      d([
        ['e1', 'want'],
        ['e2', 'done'],
      ]),
    ).toEqual({ grant: ['e1'], resume: [], hold: true });
    expect(
      d([
        ['e1', 'done'],
        ['e2', 'done'],
        ['e3', 'resume'],
      ]),
    ).toEqual({
      grant: [],
      resume: ['e1', 'e2'],
      hold: true,
    });
    expect(
      d([
        ['e1', 'end'],
        ['e3', 'resume'],
      ]),
    ).toEqual({ grant: [], resume: [], hold: false });
  });

  it('never grants while another experiment works or holds the gate, and every experiment gets through', () => {
    // Harnesses move on their own (want, done after go, end after resume) in a random order; lem decides after each.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), PICKS, (n, picks) => {
        const stages = new Map<string, GateStage>();
        const ids = Array.from({ length: n }, (_, i) => `e${i}`);
        const arrivals = new Map<string, number>();
        const step = (id: string) => {
          const s = stages.get(id);
          if (s === undefined) {
            stages.set(id, 'want');
            arrivals.set(id, arrivals.size);
          } else if (s === 'go') stages.set(id, 'done');
          else if (s === 'resume') stages.set(id, 'end');
        };
        const lem = () => {
          const d = decideGate(stages, (id) => arrivals.get(id)!);
          expect(d.grant.length).toBeLessThanOrEqual(1);
          for (const id of d.grant) {
            const busy = [...stages].filter(([o, s]) => o !== id && (s === 'resume' || s === 'go'));
            expect(busy).toEqual([]);
            stages.set(id, 'go');
          }
          for (const id of d.resume) stages.set(id, 'resume');
        };
        for (const p of picks) {
          step(ids[p % n]!);
          lem();
        }
        // Then every harness moves as soon as it can: all get through.
        for (let round = 0; round < 4 * n + 4; round++) {
          for (const id of ids) step(id);
          lem();
        }
        expect([...stages.values()]).toEqual(ids.map(() => 'end'));
      }),
    );
  });
});
