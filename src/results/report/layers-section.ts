import type { TopLevelSpec } from 'vega-lite';
import type { LayerName } from '../../contract/domains.js';
import type { CollectedResult } from '../collect.js';
import { fmt } from '../format.js';
import { layerSummaries, type LayerStat, type LayerSummary } from '../layers.js';
import { summaryRowKey } from '../rows.js';
import type { ConfigSummary } from '../summary.js';
import { chartFigure, htmlTable, section } from './html.js';
import { renderSvg } from './render-svg.js';

/**
 * The report's "Energy by layer" section: per configuration, GPU, CPU, DRAM, the rest of the node and the whole node
 * (J/output token and J, mean over cycles), as a layered bar and a table. A layer without a figure is drawn as
 * nothing and written as "missing" with the reason: a zero would claim a measurement. Shown only when some result
 * carries host meters' figures (a `domains` block).
 */

const TITLES: Record<LayerName, string> = {
  gpu: 'GPU',
  cpu: 'CPU',
  dram: 'DRAM',
  rest_of_node: 'Rest of node',
  node: 'Node (whole)',
};
const STACKED: readonly LayerName[] = ['gpu', 'cpu', 'dram', 'rest_of_node'];
const COLUMNS: readonly LayerName[] = ['gpu', 'cpu', 'dram', 'rest_of_node', 'node'];

function cell(s: LayerStat, experiments: number): string {
  const reasons = s.missing.map((m) => m.reason).join('; ');
  if (s.mean_j === null) return `missing\n${reasons}`;
  const perTok = s.mean_j_per_output_token === null ? 'J/tok n/a' : `${fmt(s.mean_j_per_output_token)} J/tok`;
  const partial = s.n < experiments ? ` (${s.n} of ${experiments}; missing: ${reasons})` : '';
  return `${perTok}\n${fmt(s.mean_j)} J${partial}`;
}

function check(l: LayerSummary): string {
  const parts = [
    l.node_check_failed > 0 ? `node < components in ${l.node_check_failed}` : null,
    l.cross_checks_flagged > 0 ? `${l.cross_checks_flagged} cross-check(s) flagged` : null,
  ].filter((x): x is string => x !== null);
  return parts.join('; ') || 'ok';
}

export function layeredBarSpec(rows: readonly { label: string; layer: string; jpt: number }[]): TopLevelSpec {
  return {
    // No "$schema" and no remote data: the report must not name a single URL.
    width: 560,
    config: { font: 'Helvetica, Arial, sans-serif', background: 'white', view: { stroke: '#ccc' } },
    data: { values: rows.map((r) => ({ ...r })) },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
      x: { field: 'jpt', type: 'quantitative', title: 'J/output token (mean over cycles)', stack: 'zero' },
      color: { field: 'layer', type: 'nominal', sort: STACKED.map((n) => TITLES[n]), title: 'Layer' },
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

export async function layersSection(
  results: readonly CollectedResult[],
  summaries: readonly ConfigSummary[],
): Promise<string[]> {
  if (!results.some((r) => r.doc.domains !== undefined)) return [];
  const labels = new Map(summaries.map((s) => [summaryRowKey(s), s.label]));
  const layers = layerSummaries(results).filter((l) => labels.has(l.row));
  const bars = layers.flatMap((l) =>
    STACKED.flatMap((n, order) => {
      const jpt = l.layers[n].mean_j_per_output_token;
      return jpt === null ? [] : [{ label: labels.get(l.row)!, layer: TITLES[n], jpt, order }];
    }),
  );
  const figure = chartFigure({
    id: 'layers',
    title: 'Energy per output token by layer',
    caption:
      'GPU (NVML in the harness), CPU packages and DRAM (RAPL), and the rest of the node (node meter minus the ' +
      'measured components), stacked; a layer with no figure is not drawn, and the table says why.',
    svg: bars.length > 0 ? await renderSvg(layeredBarSpec(bars)) : null,
    unavailable: 'No layer has a figure in these results (see the table for why).',
  });
  const rows = layers.map((l) => [
    labels.get(l.row)!,
    String(l.experiments),
    ...COLUMNS.map((n) => cell(l.layers[n], l.experiments)),
    check(l),
  ]);
  const table = htmlTable(['Configuration', 'n', ...COLUMNS.map((n) => TITLES[n]), 'Checks'], rows, 1);
  return [section('layers', 'Energy by layer', `${figure}\n${table}`)];
}
