import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, type Result } from '../core/result.js';
import { ResultDocument } from './result.js';

/**
 * Adds what lem knows after a run (host meters' domains, the GPU set of a pack placement) to a result.json the
 * harness wrote: parsed against the schema, edited, written back atomically (a reader sees the old or the new
 * file, never half of one).
 */
export function rewriteResult(path: string, edit: (doc: ResultDocument) => ResultDocument): Result<void> {
  let doc: ResultDocument;
  try {
    const parsed = ResultDocument.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) return err(lemError(ErrorCode.RESULT_INVALID, `${path}: ${parsed.error.issues[0]?.message}`));
    doc = parsed.data;
  } catch (e) {
    return err(lemError(ErrorCode.RESULT_INVALID, `${path}: ${(e as Error).message}`));
  }
  return writeFileAtomic(path, JSON.stringify(edit(doc), null, 2) + '\n');
}
