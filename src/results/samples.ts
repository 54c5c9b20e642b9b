import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ResultDocument } from '../contract/result.js';
import { err, ok, type Result } from '../core/result.js';
import { MIB, readBoundedText } from './bounded-read.js';
import { parseCsv } from './csv.js';

/**
 * Reads the harness's samples.csv (a time series) for the power-over-time chart. Columns are found by header name,
 * not position, so the harness may add columns freely: a time column (unix_ts preferred, then t_s, elapsed_s, time_s,
 * t, timestamp_s, timestamp; made relative to the first sample), power per GPU either long (lem_harness's layout: a
 * gpu column beside power_w, one row per GPU per sweep) or wide (gpu0_power_w, power_w_gpu0, ...), and an optional
 * phase column (baseline / warmup / measured). The harness's t_s restarts at 0 in each phase, hence unix_ts first;
 * a time column that runs backwards is made continuous.
 */
export interface PowerPoint {
  t_s: number;
  series: string;
  power_w: number;
  phase: string | null;
  /** Runs of samples without a gap: the line is broken where sampling stopped (e.g. warmup not sampled). */
  segment: number;
}

export interface PowerSeries {
  path: string;
  points: PowerPoint[];
  series: string[];
  /** Time spans of each phase, for shading. */
  phases: { phase: string; start: number; end: number }[];
  /** Samples dropped to keep the chart small (every point is still summarised by bucket mean). */
  downsampled: boolean;
}

const TIME_COLUMNS = ['unix_ts', 't_s', 'elapsed_s', 'time_s', 't', 'timestamp_s', 'timestamp', 'time'];
const GPU_COLUMNS = ['gpu', 'gpu_index', 'device', 'index'];
const MAX_POINTS_PER_SERIES = 1500;
/** About 8 GPUs sampled at 10 Hz for an hour; larger files are not read (the CSV parser holds every cell). */
export const MAX_SAMPLES_BYTES = 64 * MIB;

/**
 * Where a result's samples.csv is: files.samples_csv relative to the result folder; a container path (absolute) falls
 * back to its file name in the folder. A result comes from code in a container, so the path must stay inside the
 * result folder, also once links are resolved: "../../../etc/passwd", or a samples.csv linked to a host file, would
 * otherwise put a host file into the report. The error says why the path was not used.
 */
export async function samplesPath(doc: ResultDocument, resultDir: string): Promise<Result<string | null, string>> {
  const name = doc.files.samples_csv;
  if (!name) return ok(null);
  const dir = resolve(resultDir);
  const path = isAbsolute(name) ? join(dir, name.slice(name.lastIndexOf('/') + 1)) : resolve(dir, name);
  const outside = `files.samples_csv ${JSON.stringify(name)} points outside the result folder ${resultDir}; not read`;
  if (!inside(dir, path)) return err(outside);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    // Not there (or a dangling link): the read that follows reports it.
    return ok(path);
  }
  const realDir = await realpath(dir).catch(() => dir);
  return inside(realDir, real) ? ok(real) : err(outside);
}

/** `path` is `dir` itself or below it (lexically: both must already be resolved). */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Reads samples.csv: a regular file under MAX_SAMPLES_BYTES, opened without blocking (samplesPath resolved links). */
export async function readPowerSeries(path: string, maxBytes = MAX_SAMPLES_BYTES): Promise<Result<PowerSeries, string>> {
  const text = await readBoundedText(path, { maxBytes, followSymlinks: false });
  if (!text.ok) {
    return err(`cannot read ${path}: ${text.error.kind === 'missing' ? 'no such file' : text.error.reason}`);
  }
  return parsePowerSeries(text.value, path);
}

export function parsePowerSeries(text: string, path = 'samples.csv'): Result<PowerSeries, string> {
  const rows = parseCsv(text).filter((r) => r.length > 1 || (r[0] ?? '') !== '');
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  if (!header) return err(`${path} is empty`);
  const timeIdx = TIME_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  if (timeIdx === undefined) return err(`${path} has no time column (one of ${TIME_COLUMNS.join(', ')}); header: ${shownHeader(header)}`);
  const phaseIdx = header.indexOf('phase');
  const gpuIdx = GPU_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  // Power columns: mention power, in watts; limits and setpoints are not measurements.
  const powerCols = header.map((h, i) => [h, i] as const).filter(([h]) => h.includes('power') && /(_w|watts)$|_w_/.test(h) && !/limit|cap|default/.test(h));
  if (powerCols.length === 0) return err(`${path} has no power column (e.g. gpu0_power_w); header: ${shownHeader(header)}`);

  const body = rows.slice(1);
  const t0 = Number(body[0]?.[timeIdx]);
  const points: PowerPoint[] = [];
  // Continuity for a time column that restarts (per-phase t_s): later samples are shifted past the last time seen.
  let offset = 0;
  let lastRaw = -Infinity;
  let lastT = 0;
  let rawStep = 0;
  for (const r of body) {
    const raw = Number(r[timeIdx]) - (Number.isFinite(t0) ? t0 : 0);
    if (!Number.isFinite(raw)) continue;
    if (raw < lastRaw) offset = lastT + rawStep - raw;
    else if (raw > lastRaw && lastRaw > -Infinity) rawStep = raw - lastRaw;
    lastRaw = raw;
    const t = raw + offset;
    lastT = t;
    const phase = phaseIdx >= 0 ? (r[phaseIdx] ?? null) || null : null;
    for (const [name, i] of powerCols) {
      const raw = r[i];
      if (raw === undefined || raw === '') continue;
      const w = Number(raw);
      if (!Number.isFinite(w)) continue;
      // Long format: one power column, the GPU named in its own column.
      const series = gpuIdx !== undefined && powerCols.length === 1 ? `GPU ${r[gpuIdx] ?? '?'}` : seriesName(name);
      points.push({ t_s: t, series, power_w: w, phase, segment: 0 });
    }
  }
  if (points.length === 0) return err(`${path} has no numeric power samples`);
  const series = [...new Set(points.map((p) => p.series))].sort();
  const step = medianStep(points);
  markSegments(points, series, step);
  const { kept, downsampled } = downsample(points, series);
  return ok({ path, points: kept, series, phases: phaseSpans(points, step), downsampled });
}

/** The header as quoted in an error: at most 200 characters (a file may be one endless line). */
function shownHeader(header: readonly string[]): string {
  const text = header.join(',');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** gpu0_power_w → "GPU 0"; power_w_gpu1 → "GPU 1"; anything else keeps its column name. */
function seriesName(column: string): string {
  const m = /gpu_?(\d+)/.exec(column);
  return m ? `GPU ${m[1]}` : column;
}

/** The usual sampling interval: median gap between distinct sample times. */
function medianStep(points: readonly PowerPoint[]): number {
  const times = [...new Set(points.map((p) => p.t_s))].sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

/** A gap over 5 sampling intervals starts a new segment: a straight line across it would show power never measured. */
function markSegments(points: PowerPoint[], series: readonly string[], step: number): void {
  for (const s of series) {
    let segment = 0;
    let last: number | null = null;
    for (const p of points) {
      if (p.series !== s) continue;
      if (last !== null && step > 0 && p.t_s - last > 5 * step) segment++;
      p.segment = segment;
      last = p.t_s;
    }
  }
}

function phaseSpans(points: readonly PowerPoint[], step: number): PowerSeries['phases'] {
  const spans: PowerSeries['phases'] = [];
  for (const p of points) {
    if (p.phase === null) continue;
    const last = spans[spans.length - 1];
    if (last && last.phase === p.phase) last.end = Math.max(last.end, p.t_s);
    else {
      // Adjacent phases meet (no sliver between shaded spans); across a sampling gap, each ends at its last sample.
      if (last && p.t_s - last.end <= 2 * step) last.end = p.t_s;
      spans.push({ phase: p.phase, start: p.t_s, end: p.t_s });
    }
  }
  return spans;
}

/** Bucket means per series so a 10-minute run at 10 Hz stays a light SVG; the shape of the trace is kept. */
function downsample(points: readonly PowerPoint[], series: readonly string[]): { kept: PowerPoint[]; downsampled: boolean } {
  const out: PowerPoint[] = [];
  let downsampled = false;
  for (const s of series) {
    const ps = points.filter((p) => p.series === s);
    if (ps.length <= MAX_POINTS_PER_SERIES) {
      out.push(...ps);
      continue;
    }
    downsampled = true;
    const size = Math.ceil(ps.length / MAX_POINTS_PER_SERIES);
    for (let i = 0; i < ps.length; i += size) {
      const bucket = ps.slice(i, i + size);
      const mean = (f: (p: PowerPoint) => number): number => bucket.reduce((a, p) => a + f(p), 0) / bucket.length;
      out.push({ t_s: mean((p) => p.t_s), series: s, power_w: mean((p) => p.power_w), phase: bucket[0]!.phase, segment: bucket[0]!.segment });
    }
  }
  return { kept: out, downsampled };
}
