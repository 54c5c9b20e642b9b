import type { ResultDocument } from '../contract/result.js';
import type { CollectedResult } from './collect.js';
import { configLabels } from './config-params.js';

/**
 * What makes one row of the summary. Simulated and measured results never share a row, even under one config hash
 * (a synthetic engine run from the same config file): their numbers mean different things, and a mixed row would
 * count synthetic latency with measured latency and report energy over only part of its cycles.
 */
const SIMULATED_SUFFIX = '~simulated';

export function rowKey(doc: ResultDocument): string {
  return doc.simulated ? doc.experiment.config_hash + SIMULATED_SUFFIX : doc.experiment.config_hash;
}

/** A summary row is all simulated or all measured, so its count of simulated results tells which it is. */
export function summaryRowKey(s: { config_hash: string; simulated: number }): string {
  return s.simulated > 0 ? s.config_hash + SIMULATED_SUFFIX : s.config_hash;
}

/**
 * Labels per row key: the configuration's label (see configLabels); where one config hash has both a simulated and
 * a measured row, the simulated one says so, so the two rows are told apart wherever labels are shown.
 */
export function rowLabels(groups: ReadonlyMap<string, readonly CollectedResult[]>): Map<string, string> {
  const byHash = new Map<string, ResultDocument>();
  const kinds = new Map<string, Set<boolean>>();
  for (const group of groups.values()) {
    const doc = group[0]!.doc;
    const hash = doc.experiment.config_hash;
    if (!byHash.has(hash) || !doc.simulated) byHash.set(hash, doc);
    kinds.set(hash, (kinds.get(hash) ?? new Set()).add(doc.simulated));
  }
  const labels = configLabels(byHash);
  const out = new Map<string, string>();
  for (const [key, group] of groups) {
    const doc = group[0]!.doc;
    const hash = doc.experiment.config_hash;
    const label = labels.get(hash) ?? hash;
    out.set(key, doc.simulated && kinds.get(hash)!.size > 1 ? `${label} (simulated)` : label);
  }
  return out;
}
