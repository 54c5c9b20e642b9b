import { LAYER_NAMES, type LayerName, type Layers, type NodeCheck } from '../contract/domains.js';
import type { ResultDocument } from '../contract/result.js';
import { DEFAULT_DISAGREEMENT_THRESHOLD_PCT } from '../meters/domain-energies.js';
import { layersOf } from '../meters/layers.js';
import { gpuFigures } from '../meters/result-domains.js';
import type { CollectedResult } from './collect.js';
import { rowKey } from './rows.js';

/**
 * The GPU → CPU → DRAM → node layers of results, for aggregate and report (pure). A result with a `domains` block
 * has them; any other (every result before host meters existed, or one whose config named none) has its GPU layer
 * from the harness's figures and the others missing with the reason, never 0.
 */

export interface ResultLayers {
  readonly layers: Layers;
  readonly node_check: NodeCheck | null;
  /** Cross-checks between meters of one domain that disagreed by more than their threshold. */
  readonly flagged: number;
}

const memo = new WeakMap<ResultDocument, ResultLayers>();

function namesSources(doc: ResultDocument): boolean {
  const m = doc.experiment.config['measurement'];
  const s = m !== null && typeof m === 'object' && 'sources' in m ? m.sources : undefined;
  return Array.isArray(s) && s.length > 0;
}

export function resultLayers(doc: ResultDocument): ResultLayers {
  const known = memo.get(doc);
  if (known) return known;
  let out: ResultLayers;
  if (doc.domains) {
    const d = doc.domains;
    out = { layers: d.layers, node_check: d.node_check, flagged: d.cross_checks.filter((c) => c.flagged).length };
  } else {
    const { layers } = layersOf(gpuFigures(doc), DEFAULT_DISAGREEMENT_THRESHOLD_PCT);
    const why = namesSources(doc)
      ? 'not recorded: the run stopped before the host meters\u2019 figures were written into this result'
      : 'not measured: the experiment named no measurement.sources';
    const host = { joules: null, domains: [], missing: why, note: null };
    const hostLayers = { cpu: host, dram: host, node: host, rest_of_node: host };
    out = { layers: { ...layers, ...hostLayers }, node_check: null, flagged: 0 };
  }
  memo.set(doc, out);
  return out;
}

/** A layer's energy per output token; null where either is missing. */
export function perToken(joules: number | null, doc: ResultDocument): number | null {
  return joules === null || doc.tokens.output <= 0 ? null : joules / doc.tokens.output;
}

export interface LayerStat {
  /** Results with a figure for this layer. */
  n: number;
  mean_j: number | null;
  mean_j_per_output_token: number | null;
  /** Why the others have none, each with how many results. */
  missing: { reason: string; results: number }[];
}

export interface LayerSummary {
  row: string;
  config_hash: string;
  simulated: boolean;
  experiments: number;
  layers: Record<LayerName, LayerStat>;
  /** Results whose node meter read less than the sum of its components (beyond the threshold). */
  node_check_failed: number;
  cross_checks_flagged: number;
}

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function layerStat(docs: readonly ResultDocument[], name: LayerName): LayerStat {
  const js: number[] = [];
  const jpt: number[] = [];
  const missing = new Map<string, number>();
  for (const doc of docs) {
    const l = resultLayers(doc).layers[name];
    if (l.joules === null) {
      const why = l.missing ?? 'no figure';
      missing.set(why, (missing.get(why) ?? 0) + 1);
      continue;
    }
    js.push(l.joules);
    const t = perToken(l.joules, doc);
    if (t !== null) jpt.push(t);
  }
  return {
    n: js.length,
    mean_j: mean(js),
    mean_j_per_output_token: mean(jpt),
    missing: [...missing].map(([reason, results]) => ({ reason, results })),
  };
}

/** Per summary row (config hash, simulated apart), the mean of each layer over the cycles that have it. */
export function layerSummaries(results: readonly CollectedResult[]): LayerSummary[] {
  const groups = new Map<string, ResultDocument[]>();
  for (const r of results) {
    const k = rowKey(r.doc);
    const g = groups.get(k);
    if (g) g.push(r.doc);
    else groups.set(k, [r.doc]);
  }
  return [...groups].map(([row, docs]) => ({
    row,
    config_hash: docs[0]!.experiment.config_hash,
    simulated: docs[0]!.simulated,
    experiments: docs.length,
    layers: Object.fromEntries(LAYER_NAMES.map((n) => [n, layerStat(docs, n)])) as Record<LayerName, LayerStat>,
    node_check_failed: docs.filter((d) => resultLayers(d).node_check?.passed === false).length,
    cross_checks_flagged: docs.reduce((s, d) => s + resultLayers(d).flagged, 0),
  }));
}
