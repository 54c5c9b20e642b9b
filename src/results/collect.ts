import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultDocument } from '../contract/result.js';
import { migrateResult } from '../contract/result-migrate.js';
import { ErrorCode, fromUnknown, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import { MIB, readBoundedText, type ReadProblem } from './bounded-read.js';
import { mapLimit } from './pool.js';
import { MAX_NESTING, metricProblems, metricProblemsReason, nestingExceeds } from './plausibility.js';

/**
 * Finds and validates result documents. Layout: <results>/<campaign>/<experiment>/result.json (deeper nesting, e.g.
 * one folder per attempt, is accepted). A file that cannot be read, parsed or validated is reported by path with
 * the reason and skipped: one bad file must never hide the other 9,999.
 */

export const RESULT_FILE = 'result.json';
/** Folders starting with these are lem's own outputs (_aggregate) or hidden; never results. */
const IGNORED_PREFIXES = ['.', '_'];
const MAX_DEPTH = 6;
const READ_CONCURRENCY = 48;
/** The harness writes a few KiB per result; anything near this is not one of its files. */
export const DEFAULT_MAX_RESULT_BYTES = 10 * MIB;

export interface CollectOptions {
  /** result.json files larger than this are skipped unread. */
  maxResultBytes?: number;
}

export interface CollectedResult {
  /** Path of result.json as found (relative paths stay relative to the cwd). */
  path: string;
  dir: string;
  doc: ResultDocument;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Collection {
  /** Directories that were searched. */
  sources: string[];
  /** One result per experiment and cycle: the latest valid attempt. Sorted by campaign, cycle, index. */
  results: CollectedResult[];
  /** Earlier attempts replaced by a later valid one (kept for the record, not aggregated). */
  superseded: CollectedResult[];
  skipped: SkippedFile[];
}

export type CampaignSelection = { kind: 'campaign'; id: string } | { kind: 'all' } | { kind: 'latest' };

export interface CampaignDir {
  id: string;
  path: string;
  mtimeMs: number;
}

/** Campaign folders directly under the results root, newest first. */
export async function listCampaigns(root: string): Promise<Result<CampaignDir[]>> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    return err(notFound(root, e));
  }
  const dirs = entries.filter((e) => e.isDirectory() && !ignored(e.name));
  const withTimes = await mapLimit(dirs, READ_CONCURRENCY, async (d) => {
    const path = join(root, d.name);
    return { id: d.name, path, mtimeMs: (await stat(path)).mtimeMs };
  });
  // Equal times (folders made within the clock's resolution): the later id wins, as lem's ids end in a timestamp.
  return ok(withTimes.sort((a, b) => b.mtimeMs - a.mtimeMs || b.id.localeCompare(a.id)));
}

/** Resolves a campaign selection to folders to search. 'latest' picks the most recently modified campaign. */
export async function selectCampaigns(root: string, selection: CampaignSelection): Promise<Result<CampaignDir[]>> {
  const listed = await listCampaigns(root);
  if (!listed.ok) return listed;
  const all = listed.value;
  if (all.length === 0) {
    return err(lemError(ErrorCode.RESULTS_EMPTY, `no campaign folders under ${root}`, { hint: 'run a campaign first, or point --results at the folder that holds <campaign>/<experiment>/result.json' }));
  }
  if (selection.kind === 'all') return ok([...all].sort((a, b) => a.id.localeCompare(b.id)));
  if (selection.kind === 'latest') return ok([all[0]!]);
  const found = all.find((c) => c.id === selection.id);
  if (!found) {
    const there = escapeControl(all.map((c) => c.id).sort().join(', '));
    const message = `campaign "${escapeControl(selection.id)}" not found under ${root}`;
    return err(lemError(ErrorCode.CAMPAIGN_NOT_FOUND, message, { hint: `campaigns there: ${there}` }));
  }
  return ok([found]);
}

/**
 * Collects every result under the given folders (each searched recursively, level by level). A folder holding
 * result.json is an experiment folder and is not searched further. Each candidate folder's result.json is read
 * straight away and only a folder without one is listed: one read per experiment instead of a listing plus a read
 * (10,000 experiments cost 10,000 file reads, not 20,000 round trips through libuv's thread pool).
 */
export async function collectResults(dirs: readonly string[], opts: CollectOptions = {}): Promise<Result<Collection>> {
  const maxBytes = opts.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const skipped: SkippedFile[] = [];
  const valid: CollectedResult[] = [];
  // Level 0: the folders asked for must exist and are listed first (they may themselves be experiment folders).
  let candidates: { dir: string; depth: number }[] = [];
  for (const dir of dirs) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      return err(notFound(dir, e));
    }
    if (entries.some((e) => e.name === RESULT_FILE)) candidates.push({ dir, depth: 0 });
    else candidates.push(...subfolders(dir, entries).map((d) => ({ dir: d, depth: 1 })));
  }
  while (candidates.length > 0) {
    const outcomes = await mapLimit(candidates, READ_CONCURRENCY, async ({ dir, depth }) => ({
      dir,
      depth,
      read: await readResultText(join(dir, RESULT_FILE), maxBytes),
    }));
    const missing: { dir: string; depth: number }[] = [];
    for (const { dir, depth, read } of outcomes) {
      const path = join(dir, RESULT_FILE);
      if (read.ok) {
        const parsed = parseResultText(read.value);
        if (parsed.ok) valid.push({ path, dir, doc: parsed.value });
        else skipped.push({ path, reason: parsed.error });
      } else if (read.error.kind === 'missing') missing.push({ dir, depth });
      else {
        const why = read.error.kind === 'refused' ? 'not read' : 'unreadable';
        skipped.push({ path, reason: `${why}: ${read.error.reason}` });
      }
    }
    const listed = await mapLimit(missing, READ_CONCURRENCY, async ({ dir, depth }) => ({ dir, depth, entries: await listDir(dir) }));
    candidates = [];
    for (const { dir, depth, entries } of listed) {
      if (!entries.ok) {
        skipped.push({ path: dir, reason: `unreadable folder: ${entries.error}` });
        continue;
      }
      const subs = subfolders(dir, entries.value);
      if (subs.length > 0 && depth < MAX_DEPTH) candidates.push(...subs.map((d) => ({ dir: d, depth: depth + 1 })));
      else if (subs.length === 0) skipped.push(missingReport(dir, entries.value));
    }
  }
  const { latest, superseded } = latestAttempts(valid);
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return ok({ sources: [...dirs], results: latest, superseded, skipped });
}

type Entries = Awaited<ReturnType<typeof readdirTyped>>;
const readdirTyped = (dir: string) => readdir(dir, { withFileTypes: true });

function subfolders(dir: string, entries: Entries): string[] {
  return entries
    .filter((e) => e.isDirectory() && !ignored(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

/** A leaf folder without result.json is an experiment that never finished writing (or was interrupted). */
function missingReport(dir: string, entries: Entries): SkippedFile {
  const partial = entries.find((e) => e.name.startsWith(`${RESULT_FILE}.`) || e.name.startsWith(`.${RESULT_FILE}`));
  return {
    path: join(dir, RESULT_FILE),
    reason: partial ? `missing: only a partial write was left (${partial.name})` : 'missing: the experiment folder has no result.json',
  };
}

async function listDir(dir: string): Promise<Result<Entries, string>> {
  try {
    return ok(await readdirTyped(dir));
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
}

/**
 * A result folder is written by code in a container: result.json is read only if it is a regular file (not a link,
 * a FIFO or a device) under the size limit. The callbacks make the same four thread-pool round trips as readFile.
 */
function readResultText(path: string, maxBytes: number): Promise<Result<string, ReadProblem>> {
  return readBoundedText(path, { maxBytes, followSymlinks: false });
}

function ignored(name: string): boolean {
  return IGNORED_PREFIXES.some((p) => name.startsWith(p));
}

/** Parses result text; the error is a one-line reason a user can act on. */
export function parseResultText(text: string): Result<ResultDocument, string> {
  if (text.trim() === '') return err('empty file (partial write?)');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // JSON.parse reports truncation as an unexpected end, or (cut right after a comma) as an error at the very end of
    // the text; say what it most likely means.
    const at = /at position (\d+)/.exec(msg);
    const truncated = /end of (JSON )?input|Unterminated/i.test(msg) || (at !== null && Number(at[1]) >= text.trimEnd().length);
    return err(truncated ? `truncated JSON (partial write?): ${msg}` : `invalid JSON: ${msg}`);
  }
  // Checked before anything walks the document: a 5,000-deep config would overflow the stack of recursive code.
  if (nestingExceeds(raw, MAX_NESTING)) {
    return err(`nested deeper than ${MAX_NESTING} levels (not a result lem writes)`);
  }
  // Older schema versions are migrated on read (result-migrate.ts), so results written by older harnesses still count.
  const migrated = migrateResult(raw);
  if (!migrated.ok) return migrated;
  const problems = metricProblems(migrated.value);
  return problems.length === 0 ? migrated : err(metricProblemsReason(problems));
}

/**
 * A retried experiment leaves one result per attempt (a later run of the same campaign, experiment and cycle);
 * the latest valid attempt stands for it. Equal attempts (a copied file) keep the one that finished last.
 */
export function latestAttempts(results: readonly CollectedResult[]): { latest: CollectedResult[]; superseded: CollectedResult[] } {
  const best = new Map<string, CollectedResult>();
  const superseded: CollectedResult[] = [];
  for (const r of results) {
    const e = r.doc.experiment;
    const key = `${e.campaign_id}\u0000${e.experiment_id}\u0000${e.cycle}`;
    const current = best.get(key);
    if (!current) {
      best.set(key, r);
      continue;
    }
    const newer =
      e.attempt > current.doc.experiment.attempt ||
      (e.attempt === current.doc.experiment.attempt && r.doc.timing.finished_at > current.doc.timing.finished_at);
    superseded.push(newer ? current : r);
    if (newer) best.set(key, r);
  }
  const latest = [...best.values()].sort(compareResults);
  return { latest, superseded: superseded.sort(compareResults) };
}

function compareResults(a: CollectedResult, b: CollectedResult): number {
  const x = a.doc.experiment;
  const y = b.doc.experiment;
  return x.campaign_id.localeCompare(y.campaign_id) || x.cycle - y.cycle || x.index - y.index || x.experiment_id.localeCompare(y.experiment_id) || x.attempt - y.attempt;
}

function notFound(root: string, e: unknown): ReturnType<typeof lemError> {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return lemError(ErrorCode.FILE_NOT_FOUND, `results folder ${root} does not exist`, { hint: 'pass --results <dir> (default ./results), or a campaign id that exists there' });
  }
  return fromUnknown(e, ErrorCode.FILE_NOT_FOUND, `reading ${root}`);
}
