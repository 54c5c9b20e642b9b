import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { ResultDocument } from './result.js';

/**
 * Adds what lem knows after a run (host meters' domains, the GPU set of a pack placement) to a result.json the
 * harness wrote: parsed against the schema, edited, written back atomically (a reader sees the old or the new
 * file, never half of one).
 */
/** A result.json parsed against the schema; an error value naming the file when it is unreadable or invalid. */
export function readResultDocument(path: string): Result<ResultDocument> {
  try {
    const parsed = ResultDocument.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) return err(lemError(ErrorCode.RESULT_INVALID, `${path}: ${parsed.error.issues[0]?.message}`));
    return ok(parsed.data);
  } catch (e) {
    return err(lemError(ErrorCode.RESULT_INVALID, `${path}: ${(e as Error).message}`));
  }
}

export function rewriteResult(path: string, edit: (doc: ResultDocument) => ResultDocument): Result<void> {
  const doc = readResultDocument(path);
  if (!doc.ok) return doc;
  return writeFileAtomic(path, JSON.stringify(edit(doc.value), null, 2) + '\n');
}
