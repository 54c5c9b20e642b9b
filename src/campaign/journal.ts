import { readFileSync } from 'node:fs';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { JournalRecord } from './manifest.js';

export interface JournalRead {
  /** Every complete record, in file order, with its line number (from 1) for error messages. */
  readonly records: readonly { readonly rec: JournalRecord; readonly line: number }[];
  /** Byte length of the journal without a torn last line, which the next append must not be glued onto. */
  readonly tornAt: number | undefined;
}

/**
 * Reads journal.jsonl. A torn final line (a crash mid-append; every record is written with its newline in one
 * write) is left out: the change it describes never completed. A complete line that does not parse is
 * corruption, reported with its line number. A journal that is absent reads as empty.
 */
export function readJournal(file: string): Result<JournalRead> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok({ records: [], tornAt: undefined });
    return err(lemError(ErrorCode.STATE_CORRUPT, `${file} cannot be read: ${(e as Error).message}`));
  }
  const lines = text.split('\n');
  const records: { rec: JournalRecord; line: number }[] = [];
  let offset = 0;
  for (const [i, line] of lines.entries()) {
    const start = offset;
    offset += Buffer.byteLength(line) + 1;
    if (!line.trim()) continue;
    try {
      records.push({ rec: JournalRecord.parse(JSON.parse(line)), line: i + 1 });
    } catch (e) {
      if (i === lines.length - 1) return ok({ records, tornAt: start });
      const why = `${file}:${i + 1}: unreadable journal record: ${(e as Error).message}`;
      return err(lemError(ErrorCode.STATE_CORRUPT, why));
    }
  }
  return ok({ records, tornAt: undefined });
}
