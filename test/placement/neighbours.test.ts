import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neighbourhoods, type MeasuredWindow } from '../../src/placement/neighbours.js';

const w = (
  id: string,
  gpus: number[],
  startS: number,
  endS: number,
  meanPowerW: number | null = 100,
): MeasuredWindow => ({
  id,
  gpus,
  startS,
  endS,
  meanPowerW,
});

describe('neighbourhoods of a pack run', () => {
  it('an experiment whose window meets no other ran alone, with no neighbour power', () => {
    const n = neighbourhoods([w('a', [0], 0, 10), w('b', [1], 10, 20)]);
    expect(n.get('a')).toEqual({ ran: 'alone', neighbours: [], neighbours_mean_power_w: 0 });
    expect(n.get('b')!.ran).toBe('alone');
  });

  it('overlaps are measured in seconds and the neighbours’ power is weighted by their share of the window', () => {
    // a: 0-10 s on GPU 0; b: 5-15 s on GPU 1 at 200 W; c: 8-9 s on GPUs 2,3 at 300 W.
    const n = neighbourhoods([w('a', [0], 0, 10, 100), w('b', [1], 5, 15, 200), w('c', [2, 3], 8, 9, 300)]);
    const a = n.get('a')!;
    expect(a.ran).toBe('packed');
    expect(a.neighbours).toEqual([
      { experiment_id: 'b', gpus: [1], overlap_s: 5 },
      { experiment_id: 'c', gpus: [2, 3], overlap_s: 1 },
    ]);
    // 200 W × 5/10 + 300 W × 1/10 = 130 W.
    expect(a.neighbours_mean_power_w).toBeCloseTo(130, 9);
    // b: a for 5 of its 10 s (100 W → 50 W), c for 1 s (300 W → 30 W).
    expect(n.get('b')!.neighbours_mean_power_w).toBeCloseTo(80, 9);
  });

  it('a neighbour of unknown power makes the neighbours’ power unknown, never a smaller number', () => {
    const n = neighbourhoods([w('a', [0], 0, 10), w('b', [1], 2, 4, null), w('c', [2], 3, 5)]);
    expect(n.get('a')!.neighbours_mean_power_w).toBeNull();
    expect(n.get('a')!.neighbours).toHaveLength(2);
  });

  it('overlap is symmetric and never longer than either window (property)', () => {
    const win = fc
      .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 7 }))
      .map(([s, len, g]) => ({ s, len, g }));
    fc.assert(
      fc.property(fc.array(win, { minLength: 1, maxLength: 8 }), (specs) => {
        const ws = specs.map((x, i) => w(`e${i}`, [x.g], x.s, x.s + x.len));
        const n = neighbourhoods(ws);
        for (const a of ws)
          for (const nb of n.get(a.id)!.neighbours) {
            const back = n.get(nb.experiment_id)!.neighbours.find((x) => x.experiment_id === a.id);
            expect(back?.overlap_s).toBe(nb.overlap_s);
            expect(nb.overlap_s).toBeLessThanOrEqual(a.endS - a.startS);
          }
        for (const a of ws) expect(n.get(a.id)!.ran === 'alone').toBe(n.get(a.id)!.neighbours.length === 0);
      }),
    );
  });
});
