import { ok, type Result } from '../../core/result.js';
import type { MeterSample, SourceSamples } from '../samples.js';
import { csvRows, fail, finish, lines, type ImportOptions } from './common.js';

/**
 * A lab meter's or PDU's CSV: a header with `timestamp` (ISO 8601 with zone, or Unix seconds) and `watts`
 * and/or `joules` (a cumulative counter), optionally `domain`; otherwise every row is `defaultDomain`.
 */
export function importGenericCsv(
  text: string,
  o: ImportOptions & { readonly defaultDomain: string },
): Result<SourceSamples> {
  const all = lines(text);
  const header = (all[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const ts = header.indexOf('timestamp');
  const w = header.indexOf('watts');
  const j = header.indexOf('joules');
  const d = header.indexOf('domain');
  if (ts < 0 || (w < 0 && j < 0))
    return fail(o, 1, 'the header needs timestamp and watts and/or joules (e.g. "timestamp,watts")');
  const samples: MeterSample[] = [];
  const notes: string[] = [];
  for (const { line, f } of csvRows(all, o, notes)) {
    const raw = f[ts] ?? '';
    const t = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw) / 1000;
    const watts = w >= 0 ? Number.parseFloat(f[w] ?? '') : undefined;
    const joules = j >= 0 ? Number.parseFloat(f[j] ?? '') : undefined;
    if (
      !Number.isFinite(t) ||
      (watts !== undefined && !Number.isFinite(watts)) ||
      (joules !== undefined && !Number.isFinite(joules))
    ) {
      notes.push(`${o.file}:${line}: unreadable record; ignored`);
      continue;
    }
    samples.push({
      t,
      domain: d >= 0 && f[d] ? f[d] : o.defaultDomain,
      ...(watts !== undefined ? { watts } : {}),
      ...(joules !== undefined ? { joules } : {}),
    });
  }
  if (samples.length === 0) return fail(o, 2, 'no readable records');
  return ok(finish('csv', o, samples, notes));
}
