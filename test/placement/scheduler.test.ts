import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chooseSet } from '../../src/placement/gpu-sets.js';
import { GpuScheduler, type PlacementRequest } from '../../src/placement/scheduler.js';
import { simulatePlacement } from '../../src/placement/simulate.js';

const GPUS8 = [0, 1, 2, 3, 4, 5, 6, 7];
const req = (key: string, count: number, backend = 'vllm', pins?: number[]): PlacementRequest => ({
  key,
  backend,
  count,
  pins,
});

describe('chooseSet', () => {
  it('prefers a known set of the backend, then the lowest consecutive run, then the lowest indices', () => {
    expect(chooseSet(2, new Set([0, 1, 2, 3]), [[2, 3]])).toEqual([2, 3]);
    expect(chooseSet(2, new Set([0, 2, 3, 5]))).toEqual([2, 3]);
    expect(chooseSet(3, new Set([0, 2, 4, 6]))).toEqual([0, 2, 4]);
    expect(chooseSet(3, new Set([0, 1]))).toBeUndefined();
  });
});

describe('GpuScheduler', () => {
  it('runs single-GPU batches in parallel, one per GPU, in campaign order', () => {
    const s = new GpuScheduler([0, 1, 2], [req('a', 1), req('b', 1), req('c', 1), req('d', 1)]);
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([
      ['a', [0]],
      ['b', [1]],
      ['c', [2]],
    ]);
    expect(s.next()).toEqual([]);
    s.finish('b');
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([['d', [1]]]);
  });

  it('holds the GPUs a waiting batch needs: later batches backfill only elsewhere', () => {
    const s = new GpuScheduler(
      [0, 1, 2, 3],
      [req('a', 1), req('x', 1), req('y', 1), req('b', 2), req('c', 1), req('d', 1)],
    );
    // b (two GPUs) cannot start; it holds {0,1}, the lowest pair; c backfills onto GPU 3.
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([
      ['a', [0]],
      ['x', [1]],
      ['y', [2]],
      ['c', [3]],
    ]);
    expect(s.reservations.get('b')).toEqual([0, 1]);
    s.finish('x');
    // GPU 1 is free, but held for b: d must not take it.
    expect(s.next()).toEqual([]);
    s.finish('a');
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([['b', [0, 1]]]);
  });

  it('honours pins and never starts a pinned batch on other GPUs', () => {
    const s = new GpuScheduler(GPUS8, [req('a', 2, 'vllm', [6, 7]), req('b', 1), req('c', 2, 'vllm', [6, 7])]);
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([
      ['a', [6, 7]],
      ['b', [0]],
    ]);
    s.finish('a');
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([['c', [6, 7]]]);
  });

  it('reuses the GPU set that already hosts a container of the same backend', () => {
    const s = new GpuScheduler([0, 1, 2, 3], [req('a', 2, 'vllm'), req('b', 2, 'tensorrt'), req('c', 2, 'tensorrt')]);
    expect(s.next().map((p) => p.gpus)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    s.finish('a');
    s.finish('b');
    expect(s.next()[0]!.gpus).toEqual([2, 3]);
  });

  it('starts a request for no GPU at once beside the others, holding none; such requests run one at a time', () => {
    const s = new GpuScheduler([0, 1], [req('a', 2), req('e1', 0, 'external'), req('b', 1), req('e2', 0, 'external')]);
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([
      ['e1', []],
      ['a', [0, 1]],
    ]);
    expect(s.reservations.has('e1')).toBe(false);
    // e2 waits for e1, not for any GPU; b waits for a GPU, not for e1.
    s.finish('e1');
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([['e2', []]]);
    s.finish('a');
    expect(s.next().map((p) => [p.key, p.gpus])).toEqual([['b', [0]]]);
    s.finish('e2');
    s.finish('b');
    expect(s.pending).toBe(0);
  });

  it('refuses requests that can never run', () => {
    expect(() => new GpuScheduler([0, 1], [req('a', 3)])).toThrow(/needs 3 GPUs; only 2/);
    expect(() => new GpuScheduler([0, 1], [req('a', 1, 'vllm', [5])])).toThrow(/pinned to GPU 5/);
  });
});

const arbRequests = fc.array(
  fc.record({
    count: fc.integer({ min: 1, max: 4 }),
    pin: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 5 }),
    backend: fc.constantFrom('vllm', 'tensorrt'),
    dur: fc.integer({ min: 1, max: 20 }),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('GpuScheduler properties (simulated clock)', () => {
  it('never puts a GPU in two running batches, starts everything, honours pins', () => {
    fc.assert(
      fc.property(arbRequests, (specs) => {
        const reqs = specs.map((s, i) =>
          s.pin === null
            ? req(`r${i}`, s.count, s.backend)
            : req(
                `r${i}`,
                s.count,
                s.backend,
                Array.from({ length: s.count }, (_, k) => (s.pin! + k) % 8),
              ),
        );
        const { starts } = simulatePlacement(GPUS8, reqs, (k) => specs[Number(k.slice(1))]!.dur);
        expect(starts).toHaveLength(reqs.length);
        for (const a of starts) {
          const r = reqs[Number(a.key.slice(1))]!;
          expect(a.gpus).toHaveLength(r.pins ? r.pins.length : r.count);
          if (r.pins) expect([...a.gpus].sort()).toEqual([...r.pins].sort());
          for (const b of starts) {
            if (a === b || a.end <= b.start || b.end <= a.start) continue;
            expect(a.gpus.filter((g) => b.gpus.includes(g))).toEqual([]);
          }
        }
      }),
    );
  });

  it('is work-conserving and order-preserving when every batch needs one GPU', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (durs, g) => {
          const reqs = durs.map((_, i) => req(`r${i}`, 1));
          const { starts, makespan } = simulatePlacement(GPUS8.slice(0, g), reqs, (k) => durs[Number(k.slice(1))]!);
          expect(starts.map((s) => s.key)).toEqual(reqs.map((r) => r.key));
          const total = durs.reduce((a, b) => a + b, 0);
          // Greedy list scheduling: never worse than total/g + the longest job.
          expect(makespan).toBeLessThanOrEqual(total / g + Math.max(...durs));
        },
      ),
    );
  });

  it('gives requests for no GPU no GPU, one at a time, and never lets them delay a batch that needs GPUs', () => {
    fc.assert(
      fc.property(arbRequests, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (specs, gpuless) => {
        const reqs = specs.map((s, i) => req(`r${i}`, gpuless[i] ? 0 : s.count, gpuless[i] ? 'external' : s.backend));
        const dur = (k: string) => specs[Number(k.slice(1))]!.dur;
        const sim = simulatePlacement(GPUS8, reqs, dur);
        expect(sim.starts).toHaveLength(reqs.length);
        const none = sim.starts.filter((p) => reqs[Number(p.key.slice(1))]!.count === 0);
        for (const a of none) expect(a.gpus).toEqual([]);
        // In campaign order, each after the one before it ends.
        expect(none.map((p) => p.key)).toEqual(reqs.filter((r) => r.count === 0).map((r) => r.key));
        for (const [i, a] of none.slice(1).entries()) expect(a.start).toBeGreaterThanOrEqual(none[i]!.end);
        // The batches needing GPUs are placed exactly as they would be without the others.
        const alone = simulatePlacement(
          GPUS8,
          reqs.filter((r) => r.count > 0),
          dur,
        );
        const withGpus = sim.starts.filter((p) => reqs[Number(p.key.slice(1))]!.count > 0);
        const when = (ps: typeof sim.starts) => ps.map((p) => [p.key, p.gpus, p.start]);
        expect(when(withGpus)).toEqual(when(alone.starts));
      }),
    );
  });

  it('never starts a later batch on the GPUs an earlier waiting batch holds', () => {
    fc.assert(
      fc.property(arbRequests, (specs) => {
        const reqs = specs.map((s, i) => req(`r${i}`, s.count, s.backend));
        const sim = simulatePlacement(GPUS8, reqs, (k) => specs[Number(k.slice(1))]!.dur);
        const index = (key: string) => Number(key.slice(1));
        for (const [key, held] of sim.reservations) {
          const started = sim.starts.find((p) => p.key === key)!.start;
          const intruders = sim.starts.filter(
            (p) =>
              index(p.key) > index(key) &&
              p.start >= held.at &&
              p.start < started &&
              p.gpus.some((g) => held.gpus.includes(g)),
          );
          expect(intruders).toEqual([]);
        }
      }),
    );
  });
});
