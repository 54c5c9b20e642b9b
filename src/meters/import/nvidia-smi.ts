import { ok, type Result } from '../../core/result.js';
import type { MeterSample, SourceSamples } from '../samples.js';
import { csvRows, fail, finish, lines, type ImportOptions } from './common.js';

/**
 * `nvidia-smi --query-gpu=timestamp,index,power.draw[,power.draw.instant] --format=csv[,nounits] -lms 100`.
 * `power.draw` is a 1 s trailing average on recent GPUs; `power.draw.instant` is used when present, and the
 * result notes which one it integrated. nvidia-smi prints local time without a zone: it is read in this
 * process's time zone, plus the declared clock offset.
 */
export function importNvidiaSmi(text: string, o: ImportOptions): Result<SourceSamples> {
  const all = lines(text);
  const header = (all[0] ?? '').split(',').map((h) => h.trim().replace(/\s*\[.*\]$/, ''));
  const col = (name: string) => header.indexOf(name);
  const ts = col('timestamp');
  const instant = col('power.draw.instant');
  const power = instant >= 0 ? instant : col('power.draw');
  if (ts < 0 || power < 0)
    return fail(o, 1, 'not an nvidia-smi CSV log: the header needs timestamp and power.draw (or power.draw.instant)');
  const index = col('index');
  const notes: string[] = [];
  if (instant < 0)
    notes.push(
      `${o.file}: power.draw is nvidia-smi's 1 s trailing average: edges are smeared (log power.draw.instant where the driver has it)`,
    );
  const samples: MeterSample[] = [];
  for (const { line, f } of csvRows(all, o, notes)) {
    const t = Date.parse(f[ts]!.replace(/^(\d{4})\/(\d{2})\/(\d{2}) /, '$1-$2-$3T'));
    const w = Number.parseFloat(f[power] ?? '');
    if (!Number.isFinite(t) || !Number.isFinite(w)) {
      notes.push(`${o.file}:${line}: unreadable record (${f[power] ?? 'no power field'}); ignored`);
      continue;
    }
    samples.push({ t: t / 1000, domain: `gpu:${index >= 0 ? f[index] : '0'}`, watts: w });
  }
  if (samples.length === 0) return fail(o, 2, 'no power records in the log');
  return ok(finish('nvidia-smi', o, samples, notes));
}
