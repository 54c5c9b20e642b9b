import type { CollectedResult } from '../collect.js';
import { fmt } from '../format.js';
import { htmlTable, section } from './html.js';

/**
 * The report's "Ran alone or packed" section: per configuration, how many of its results were measured alone on
 * the node and how many beside other experiments (placement: pack), with mean J/output token and output tokens/s
 * of each group, so a reader sees whether packing moved the figures. Shown only when some result carries a
 * placement with `ran` (src/placement/neighbours.ts).
 */

interface Group {
  n: number;
  jPerTok: number[];
  tokPerS: number[];
  neighbourW: number[];
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const empty = (): Group => ({ n: 0, jPerTok: [], tokPerS: [], neighbourW: [] });

function describe(g: Group): string[] {
  if (g.n === 0) return ['0', '', '', ''];
  const j = mean(g.jPerTok);
  const w = mean(g.neighbourW);
  return [String(g.n), j === null ? 'n/a' : fmt(j), fmt(mean(g.tokPerS)), w === null ? 'n/a' : fmt(w)];
}

export function placementSection(results: readonly CollectedResult[]): string[] {
  const byConfig = new Map<string, { alone: Group; packed: Group }>();
  for (const { doc } of results) {
    const ran = doc.placement?.ran;
    if (!ran) continue;
    const key = doc.experiment.config_hash;
    const row = byConfig.get(key) ?? { alone: empty(), packed: empty() };
    byConfig.set(key, row);
    const g = row[ran];
    g.n++;
    if (doc.energy.j_per_output_token !== null) g.jPerTok.push(doc.energy.j_per_output_token);
    g.tokPerS.push(doc.throughput.output_tokens_per_s);
    const w = doc.placement?.neighbours_mean_power_w;
    if (ran === 'packed' && w != null) g.neighbourW.push(w);
  }
  if (byConfig.size === 0) return [];
  const header = ['config', 'alone n', 'J/tok', 'tok/s', '', 'packed n', 'J/tok', 'tok/s', "neighbours' W"];
  const rows = [...byConfig].map(([key, r]) => [key, ...describe(r.alone).slice(0, 3), '', ...describe(r.packed)]);
  const note =
    '<p>Results of a pack run, split by whether another experiment was measuring on the node’s other GPUs during ' +
    'their window. J/tok is n/a where no energy was measured (simulated runs); neighbours’ W is their mean GPU ' +
    'power over the window.</p>';
  return [section('placement', 'Ran alone or packed', note + htmlTable(header, rows))];
}
