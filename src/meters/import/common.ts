import { ErrorCode, lemError } from '../../core/errors.js';
import { err, type Result } from '../../core/result.js';
import type { MeterSample, SourceSamples } from '../samples.js';

export interface ImportOptions {
  /** Shown in messages as file:line. */
  readonly file: string;
  /** Seconds to add to the log's timestamps to put them on lem's clock (declared by the user). */
  readonly clockOffsetS?: number;
}

export function fail(o: ImportOptions, line: number, message: string): Result<never> {
  return err(lemError(ErrorCode.CONFIG_INVALID, `${o.file}:${line}: ${message}`));
}

/** Sorts samples into time order, saying so when the log was not (a merged or rotated log). */
export function finish(source: string, o: ImportOptions, samples: MeterSample[], notes: string[]): SourceSamples {
  const offset = o.clockOffsetS ?? 0;
  let disorder = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i]!.t < samples[i - 1]!.t) disorder++;
  if (disorder > 0) notes.push(`${o.file}: ${disorder} record(s) out of time order; sorted by timestamp`);
  const shifted = samples.map((s) => ({ ...s, t: s.t + offset })).sort((a, b) => a.t - b.t);
  return { source, clockOffsetS: offset, samples: shifted, notes };
}

export function lines(text: string): string[] {
  const all = text.split(/\r?\n/);
  // A log cut off mid-write ends without its newline: its last line is incomplete, not data.
  if (all.length > 0 && all.at(-1) !== '' && !text.endsWith('\n')) all[all.length - 1] = '\u0000' + all.at(-1)!;
  return all;
}

export const truncated = (l: string): boolean => l.startsWith('\u0000');

/**
 * The data rows of a CSV log after its header, split into trimmed fields with their 1-based line numbers. Blank
 * lines are skipped; an incomplete last line (a log cut off mid-write) is noted and skipped.
 */
export function* csvRows(
  all: readonly string[],
  o: ImportOptions,
  notes: string[],
): Generator<{ line: number; f: string[] }> {
  for (let i = 1; i < all.length; i++) {
    const l = all[i]!;
    if (l.trim() === '') continue;
    if (truncated(l)) {
      notes.push(`${o.file}:${i + 1}: last line incomplete (log cut off); ignored`);
      continue;
    }
    yield { line: i + 1, f: l.split(',').map((x) => x.trim()) };
  }
}
