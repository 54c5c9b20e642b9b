import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultDocument } from '../../src/contract/result.js';

/** Writes <root>/<campaign>/<experiment>/result.json for a built document. */
export function writeResultFolder(root: string, doc: ResultDocument): void {
  const dir = join(root, doc.experiment.campaign_id, doc.experiment.experiment_id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), JSON.stringify(doc));
}
