import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/contract/result.js';
import { placementSection } from '../../src/results/report/placement-section.js';
import { EXPERIMENT_COLUMNS } from '../../src/results/experiments-table.js';
import { buildResult } from '../fixtures/result-builder.js';

const collected = (doc: ResultDocument) => ({ path: 'r/result.json', dir: 'r', doc });
const placed = (id: string, ran: 'alone' | 'packed', tokPerS: number, neighbourW: number | null = null) =>
  collected(
    buildResult(
      { experimentId: id, configHash: 'cfg111111111', outputTokensPerS: tokPerS },
      {
        placement: {
          target: 'lem-p-vllm-gpu0',
          gpus: [0],
          ran,
          neighbours: ran === 'packed' ? [{ experiment_id: 'other', gpus: [1], overlap_s: 5 }] : [],
          neighbours_mean_power_w: ran === 'packed' ? neighbourW : 0,
        },
      },
    ),
  );

describe('ran alone or packed', () => {
  it('is absent when no result carries a placement (serial runs, older results)', () => {
    expect(placementSection([collected(buildResult())])).toEqual([]);
  });

  it('splits a configuration’s results into alone and packed, each with n, J/tok, tok/s and neighbours’ power', () => {
    const html = placementSection([placed('a', 'alone', 1000), placed('b', 'packed', 900, 300), placed('c', 'packed', 800, 500)]).join('');
    expect(html).toContain('Ran alone or packed');
    const row = /<tr><td>cfg111111111<\/td>(.*?)<\/tr>/.exec(html)![1]!;
    const cells = [...row.matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) => m[1]);
    // alone: n 1, tok/s 1000; packed: n 2, tok/s mean 850, neighbours' power mean 400 W.
    // alone: n 1, J/tok, tok/s 1,000; a spacer; packed: n 2, J/tok, tok/s mean 850, neighbours' power mean 400 W.
    expect(cells[0]).toBe('1');
    expect(cells[2]).toBe('1,000');
    expect(cells[4]).toBe('2');
    expect(cells[6]).toBe('850');
    expect(cells[7]).toBe('400');
  });

  it('experiments.csv carries the GPU set, alone/packed, the neighbours and their power', () => {
    const doc = placed('b', 'packed', 900, 300).doc;
    const value = (name: string) => EXPERIMENT_COLUMNS.find(([n]) => n === name)![1](doc, collected(doc));
    expect([value('placement_gpus'), value('placement_ran'), value('placement_neighbours')]).toEqual(['0', 'packed', 'other']);
    expect(value('placement_neighbours_mean_power_w')).toBe(300);
  });
});
