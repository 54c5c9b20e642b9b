import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode, LemFailure, lemError } from '../../src/core/errors.js';
import { err, ok } from '../../src/core/result.js';
import { dispatchPacked } from '../../src/placement/dispatch.js';

// The pack dispatch loop with real asynchrony: each batch "runs" for a random number of timer ticks. Checked for
// every generated campaign: no GPU is in two batches in flight, every batch and every follow-up runs exactly
// once, pins are honoured, an error stops new starts (in flight ones finish), and an abort does the same.

interface B {
  readonly id: number;
  readonly count: number;
  readonly pins?: number[] | undefined;
  readonly ticks: number;
  /** Follow-ups this batch asks for when it ends (a retry): run once each. */
  readonly again: readonly B[];
}

const tick = () => new Promise<void>((r) => setImmediate(r));

const arbBatch = (gpus: number, id: fc.Arbitrary<number>): fc.Arbitrary<Omit<B, 'again'>> =>
  fc.record({
    id,
    count: fc.integer({ min: 1, max: gpus }),
    pins: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: gpus - 1 }), { minLength: 1, maxLength: gpus }), {
      nil: undefined,
    }),
    ticks: fc.integer({ min: 0, max: 4 }),
  });

const arbCampaign = fc.integer({ min: 1, max: 6 }).chain((gpus) =>
  fc.record({
    gpus: fc.constant(gpus),
    batches: fc.array(fc.tuple(arbBatch(gpus, fc.nat()), fc.array(arbBatch(gpus, fc.nat()), { maxLength: 2 })), {
      maxLength: 12,
    }),
  }),
);

function build(batches: [Omit<B, 'again'>, Omit<B, 'again'>[]][]): B[] {
  let n = 0;
  return batches.map(([b, again]) => ({
    ...b,
    id: n++,
    again: again.map((a) => ({ ...a, id: n++, again: [] })),
  }));
}

describe('dispatchPacked', () => {
  it('never gives a GPU to two batches in flight, and runs every batch and follow-up once', async () => {
    await fc.assert(
      fc.asyncProperty(arbCampaign, async ({ gpus, batches }) => {
        const all = build(batches);
        const busy = new Set<number>();
        const ran: number[] = [];
        let most = 0;
        let inFlight = 0;
        const r = await dispatchPacked<B>({
          gpus: Array.from({ length: gpus }, (_, i) => i),
          batches: all,
          need: (b) => ({ backend: 'synthetic', count: b.pins?.length ?? b.count, pins: b.pins }),
          signal: new AbortController().signal,
          run: async (b, set) => {
            for (const g of set) {
              expect(busy.has(g), `GPU ${g} given twice`).toBe(false);
              busy.add(g);
            }
            expect(set.length).toBe(b.pins?.length ?? b.count);
            if (b.pins) expect([...set]).toEqual([...b.pins].sort((x, y) => x - y));
            most = Math.max(most, ++inFlight);
            for (let i = 0; i < b.ticks; i++) await tick();
            for (const g of set) busy.delete(g);
            inFlight--;
            ran.push(b.id);
            return ok(b.again);
          },
        });
        expect(r.ok).toBe(true);
        const expected = all.flatMap((b) => [b.id, ...b.again.map((a) => a.id)]);
        expect([...ran].sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
        expect(most).toBeLessThanOrEqual(gpus);
      }),
      { numRuns: 200 },
    );
  });

  it('runs single-GPU batches side by side, as many as there are GPUs', async () => {
    let inFlight = 0;
    let most = 0;
    const batches = Array.from({ length: 8 }, (_, i) => i);
    const r = await dispatchPacked<number>({
      gpus: [0, 1, 2],
      batches,
      need: () => ({ backend: 'synthetic', count: 1 }),
      signal: new AbortController().signal,
      run: async () => {
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
        return ok([]);
      },
    });
    expect(r.ok).toBe(true);
    expect(most).toBe(3);
  });

  it('starts no new batch while the baseline gate holds, and resumes packing once it is lifted', async () => {
    // Batches 0 and 1 start; 0 ends having set the gate held (a harness waits at it): 2 must not take the GPU 0
    // freed, until batch 1 lifts the gate.
    let held = false;
    let lift: (() => void) | undefined;
    const gate = { isHeld: () => held, changed: () => new Promise<void>((res) => (lift = res)) };
    const started: number[] = [];
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    const r = await dispatchPacked<number>({
      gpus: [0, 1],
      batches: [0, 1, 2],
      need: () => ({ backend: 'synthetic', count: 1 }),
      signal: new AbortController().signal,
      gate,
      run: async (b) => {
        started.push(b);
        if (b === 0) held = true;
        if (b === 1) {
          await sleep(30);
          expect(started).toEqual([0, 1]);
          held = false;
          lift!();
          await sleep(10);
          expect(started).toEqual([0, 1, 2]);
        }
        return ok([]);
      },
    });
    expect(r.ok).toBe(true);
    expect(started).toEqual([0, 1, 2]);
  });

  it('on the first error starts nothing more, waits for the batches in flight, and returns that error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 10 }),
        fc.nat(),
        async (gpus, n, k) => {
          const failing = k % n;
          const started: number[] = [];
          let finished = 0;
          let errors = 0;
          const r = await dispatchPacked<number>({
            gpus: Array.from({ length: gpus }, (_, i) => i),
            batches: Array.from({ length: n }, (_, i) => i),
            need: () => ({ backend: 'synthetic', count: 1 }),
            signal: new AbortController().signal,
            onError: () => errors++,
            run: async (b) => {
              started.push(b);
              await tick();
              finished++;
              return b === failing ? err(lemError(ErrorCode.CONTAINER_FAILED, `batch ${b}`)) : ok([]);
            },
          });
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.message).toBe(`batch ${failing}`);
          expect(errors).toBe(1);
          expect(finished).toBe(started.length);
          // Nothing started after the failure was seen: at most the batches already in flight then.
          expect(started.length).toBeLessThanOrEqual(failing + gpus);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('once aborted starts nothing new and lets the batches in flight end', async () => {
    const stop = new AbortController();
    const started: number[] = [];
    const r = await dispatchPacked<number>({
      gpus: [0, 1],
      batches: [0, 1, 2, 3, 4],
      need: () => ({ backend: 'synthetic', count: 1 }),
      signal: stop.signal,
      run: async (b) => {
        started.push(b);
        if (b === 1) stop.abort();
        await tick();
        return ok([]);
      },
    });
    expect(r.ok).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it('a pinned batch waits for its GPU, and starts on it once the batch holding it ends', async () => {
    const log: string[] = [];
    const r = await dispatchPacked<{ id: string; pins?: number[] }>({
      gpus: [0, 1],
      batches: [{ id: 'a' }, { id: 'pinned', pins: [0] }, { id: 'c' }],
      need: (b) => ({ backend: 'synthetic', count: 1, pins: b.pins }),
      signal: new AbortController().signal,
      run: async (b, set) => {
        log.push(`start ${b.id} on ${set.join(',')}`);
        for (let i = 0; i < (b.id === 'a' ? 3 : 1); i++) await tick();
        log.push(`end ${b.id}`);
        return ok([]);
      },
    });
    expect(r.ok).toBe(true);
    expect(log.indexOf('start pinned on 0')).toBeGreaterThan(log.indexOf('end a'));
    expect(log.slice(0, 2)).toEqual(['start a on 0', 'start c on 1']);
  });

  it('a batch that throws (a state write failing) ends the dispatch with that error, its code kept', async () => {
    let errors = 0;
    const r = await dispatchPacked<number>({
      gpus: [0, 1],
      batches: [0, 1, 2],
      need: () => ({ backend: 'synthetic', count: 1 }),
      signal: new AbortController().signal,
      onError: () => errors++,
      run: async (b) => {
        await tick();
        if (b === 0) throw new LemFailure(lemError(ErrorCode.STATE_WRITE, 'disk full'));
        return ok([]);
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(ErrorCode.STATE_WRITE);
    expect(errors).toBe(1);
  });
});
