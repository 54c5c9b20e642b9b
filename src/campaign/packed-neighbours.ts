import { join } from 'node:path';
import { readResultDocument, rewriteResult } from '../contract/result-rewrite.js';
import { neighbourhoods, type MeasuredWindow } from '../placement/neighbours.js';
import type { Manifest } from './manifest.js';

/**
 * After a pack run (effects): every completed result that says where it ran gets what ran beside it during its
 * measured window (placement.ran, neighbours, their mean GPU power). Only known once its neighbours have finished,
 * so it is done over the whole campaign at the end of each run (a resumed run redoes it, with the earlier results).
 * Returns one line per result it could not read or rewrite.
 */
export function recordNeighbours(projectDir: string, manifest: Manifest): string[] {
  const problems: string[] = [];
  const windows: (MeasuredWindow & { path: string })[] = [];
  for (const e of manifest.experiments) {
    if (e.status !== 'completed' || !e.result_path) continue;
    const path = join(projectDir, e.result_path);
    const read = readResultDocument(path);
    if (!read.ok) {
      problems.push(`${e.id}: neighbours not recorded: ${read.error.message}`);
      continue;
    }
    const doc = read.value;
    const { start_unix_s: startS, end_unix_s: endS } = doc.window;
    if (!doc.placement || startS === undefined || endS === undefined) continue;
    windows.push({ id: e.id, path, gpus: doc.placement.gpus, startS, endS, meanPowerW: doc.power.mean_w });
  }
  const hoods = neighbourhoods(windows);
  for (const w of windows) {
    const hood = hoods.get(w.id)!;
    const r = rewriteResult(w.path, (doc) => ({ ...doc, placement: { ...doc.placement!, ...hood } }));
    if (!r.ok) problems.push(`${w.id}: neighbours not recorded: ${r.error.message}`);
  }
  return problems;
}
