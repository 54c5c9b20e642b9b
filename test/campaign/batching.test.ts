import { describe, expect, it } from 'vitest';
import { groupIntoBatches } from '../../src/campaign/batching.js';
import { ExperimentConfig } from '../../src/config/experiment.js';

const cfg = (over: Record<string, unknown>) =>
  ExperimentConfig.parse({ backend: 'synthetic', model: { name: 'm' }, ...over });
const item = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  backend: typeof over['backend'] === 'string' ? over['backend'] : 'synthetic',
  config: cfg(over),
});

describe('groupIntoBatches', () => {
  it('keeps consecutive experiments that share an engine in one batch', () => {
    const items = [
      item('a', { batching: { batch_size: 1 } }),
      item('b', { batching: { batch_size: 8 } }),
      item('c', { max_output_tokens: 9 }),
    ];
    expect(groupIntoBatches(items, { forceColdStart: false }).map((b) => b.map((i) => i.id))).toEqual([
      ['a', 'b', 'c'],
    ]);
  });

  it('never puts a served engine (mode: serve, a server process) in a batch with offline experiments', () => {
    const serve = { mode: 'serve', load: { concurrency: 1 } };
    const items = [item('a'), item('b', serve), item('c', { ...serve, load: { concurrency: 8 } }), item('d')];
    expect(groupIntoBatches(items, { forceColdStart: false }).map((b) => b.map((i) => i.id))).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
    ]);
  });

  it('splits when the model, backend or engine section changes, preserving order', () => {
    const items = [
      item('a'),
      item('b', { model: { name: 'other' } }),
      item('c', { model: { name: 'other' } }),
      item('d', { backend: 'transformers', model: { name: 'other' } }),
      item('e', { model: { name: 'other' }, synthetic: { tokens_per_second: 5 } }),
    ];
    expect(groupIntoBatches(items, { forceColdStart: false }).map((b) => b.map((i) => i.id))).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
      ['e'],
    ]);
  });

  it('never shares an engine under force_cold_start, campaign-wide or per experiment', () => {
    const items = [item('a'), item('b'), item('c')];
    expect(groupIntoBatches(items, { forceColdStart: true })).toHaveLength(3);
    const mixed = [item('a'), item('b', { force_cold_start: true }), item('c'), item('d')];
    expect(groupIntoBatches(mixed, { forceColdStart: false }).map((b) => b.map((i) => i.id))).toEqual([
      ['a'],
      ['b'],
      ['c', 'd'],
    ]);
  });

  it('respects a maximum batch length and loses nothing', () => {
    const items = Array.from({ length: 7 }, (_, i) => item(`e${i}`));
    const batches = groupIntoBatches(items, { forceColdStart: false, maxBatch: 3 });
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((i) => i.id)).toEqual(items.map((i) => i.id));
  });
});
