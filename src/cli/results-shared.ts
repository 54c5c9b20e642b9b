import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import type { CampaignSelection, Collection, CollectOptions } from '../results/collect.js';
import type { ValidityNote } from '../results/aggregate.js';
import { DEFAULT_SUMMARY_OPTIONS, type SummaryOptions } from '../results/defaults.js';
import { invalidLines } from '../results/validity.js';

/** Option handling shared by the results commands (one place for the rules, so the commands agree). */

export const DEFAULT_RESULTS_DIR = 'results';
export const DEFAULT_MAX_RESULT_MB = 10;

export const RESULTS_OPTION_HELP =
  'Results root (default: the results folder of the project found from the current folder, ' +
  'as campaign commands find it; else ./results)';
export const PROJECT_OPTION_HELP =
  'Project folder (holding compose.yaml) whose results to read; default: found from the current folder';
export const MAX_RESULT_MB_HELP = `Skip result.json files larger than this many MiB unread (default ${DEFAULT_MAX_RESULT_MB})`;

/**
 * Where the results are: --results as given; else the project's results folder, the project found as the campaign
 * commands find it (--project, or the nearest folder above the current one holding compose.yaml), so `lem results`
 * works from any subfolder of a project; else ./results.
 */
export async function resultsRoot(results: string | undefined, project: string | undefined): Promise<Result<string>> {
  if (results !== undefined) return ok(results);
  const { openProject, resolveProjectDir } = await import('../project/project.js');
  const { projectOptions } = await import('./project-options.js');
  const o = projectOptions(project);
  const dir = resolveProjectDir(o);
  if (!dir.ok) return o.dir === undefined ? ok(DEFAULT_RESULTS_DIR) : dir;
  // compose.yaml may mount the results folder elsewhere; a compose file lem cannot read leaves the usual place.
  const opened = openProject(dir.value, o, undefined);
  return ok(opened.ok ? opened.value.paths.hostResults : join(dir.value, DEFAULT_RESULTS_DIR));
}

/** --max-result-mb as collection options. */
export function collectOptions(maxResultMbRaw: string | undefined): Result<CollectOptions> {
  const mb = parseIntOption('--max-result-mb', maxResultMbRaw, DEFAULT_MAX_RESULT_MB, 1, 4096);
  return mb.ok ? ok({ maxResultBytes: mb.value * 1024 * 1024 }) : mb;
}
/** Under the results root, but ignored by collection (leading underscore). */
export const AGGREGATE_DIR = '_aggregate';

export function campaignSelection(campaign: string | undefined, all: boolean): Result<CampaignSelection> {
  if (campaign !== undefined && all)
    return err(lemError(ErrorCode.USAGE, '--campaign and --all are mutually exclusive'));
  if (campaign !== undefined) return ok({ kind: 'campaign', id: campaign });
  return ok(all ? { kind: 'all' } : { kind: 'latest' });
}

export function parseIntOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): Result<number> {
  if (raw === undefined) return ok(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    return err(lemError(ErrorCode.USAGE, `${name} must be an integer from ${min} to ${max}, got "${raw}"`));
  }
  return ok(n);
}

/** --resamples and --seed, checked the same way by every results command. */
export function summaryOptions(resamplesRaw: string | undefined, seedRaw: string | undefined): Result<SummaryOptions> {
  const resamples = parseIntOption('--resamples', resamplesRaw, DEFAULT_SUMMARY_OPTIONS.resamples, 100, 1_000_000);
  if (!resamples.ok) return resamples;
  const seed = parseIntOption('--seed', seedRaw, DEFAULT_SUMMARY_OPTIONS.seed, 0, 2 ** 32 - 1);
  if (!seed.ok) return seed;
  return ok({ resamples: resamples.value, seed: seed.value, level: DEFAULT_SUMMARY_OPTIONS.level });
}

export interface Selected {
  collection: Collection;
  /** Campaign ids searched (folder names), or the folder itself for a plain directory. */
  scope: string[];
  /** Name for default output paths: the campaign id, or "all". */
  scopeName: string;
}

/** Selects campaigns under a results root and collects them; fails when nothing valid is found. */
export async function selectAndCollect(
  root: string,
  selection: CampaignSelection,
  opts: CollectOptions = {},
): Promise<Result<Selected>> {
  const { collectResults, selectCampaigns } = await import('../results/collect.js');
  const campaigns = await selectCampaigns(root, selection);
  if (!campaigns.ok) return campaigns;
  const collection = await collectResults(
    campaigns.value.map((c) => c.path),
    opts,
  );
  if (!collection.ok) return collection;
  const scope = campaigns.value.map((c) => c.id);
  const scopeName = selection.kind === 'all' ? 'all' : scope[0]!;
  return nonEmpty({ collection: collection.value, scope, scopeName });
}

/**
 * compare's operands: an existing folder is searched as it is (a campaign folder or a whole results root);
 * anything else is a campaign id under the results root.
 */
export async function collectOperand(
  operand: string,
  root: string,
  opts: CollectOptions = {},
): Promise<Result<Selected>> {
  const isDir = await stat(operand).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return selectAndCollect(root, { kind: 'campaign', id: operand }, opts);
  const { collectResults } = await import('../results/collect.js');
  const collection = await collectResults([operand], opts);
  if (!collection.ok) return collection;
  return nonEmpty({ collection: collection.value, scope: [operand], scopeName: operand });
}

function nonEmpty(s: Selected): Result<Selected> {
  if (s.collection.results.length > 0) return ok(s);
  // Paths and reasons come from files lem did not write: escaped before they reach a terminal.
  const issues = s.collection.skipped
    .slice(0, 50)
    .map((f) => ({ location: { file: escapeControl(f.path) }, message: escapeControl(f.reason) }));
  const where = escapeControl(s.scope.join(', '));
  return err(
    lemError(ErrorCode.RESULTS_EMPTY, `no valid result.json found in ${where}`, {
      issues,
      hint: s.collection.skipped.length
        ? 'every result found was skipped; the reasons are listed above'
        : 'has the campaign run yet?',
    }),
  );
}

export function defaultOutDir(root: string, scopeName: string): string {
  return join(root, AGGREGATE_DIR, scopeName);
}

export const INCLUDE_INVALID_DESCRIPTION =
  'Keep results that failed a validity check in the statistics (they are listed either way)';

/**
 * Sets results that failed a validity check aside (or keeps them with --include-invalid); either way they are
 * listed with their reasons. Fails when nothing valid remains, naming the flag that keeps them.
 */
export async function applyValidity(
  s: Selected,
  includeInvalid: boolean,
): Promise<Result<{ selected: Selected; validity: ValidityNote }>> {
  const { partitionByValidity } = await import('../results/validity.js');
  const p = partitionByValidity(s.collection.results, includeInvalid);
  const validity: ValidityNote = { invalid: p.invalid, includeInvalid, notAssessed: p.not_assessed };
  if (p.kept.length === 0) {
    const issues = p.invalid.slice(0, 50).map((x) => ({ location: { file: x.path }, message: x.reasons.join('; ') }));
    const hint = 'fix the measurement (see the reasons), or pass --include-invalid to use them anyway';
    return err(
      lemError(ErrorCode.RESULTS_EMPTY, `every result in ${s.scope.join(', ')} failed a validity check`, {
        issues,
        hint,
      }),
    );
  }
  return ok({ selected: { ...s, collection: { ...s.collection, results: p.kept } }, validity });
}

/** What the commands print about validity: the results set aside (or kept) and those never assessed. */
export function validityLines(v: ValidityNote): string[] {
  const out: string[] = [];
  if (v.invalid.length > 0) {
    const what = v.includeInvalid
      ? 'kept in the statistics (--include-invalid)'
      : 'left out (--include-invalid keeps them)';
    out.push(`${v.invalid.length} results failed a validity check, ${what}:`, ...invalidLines(v.invalid));
  }
  if (v.notAssessed > 0) {
    out.push(`${v.notAssessed} results were written before validity checks existed (schema v3): kept, not assessed`);
  }
  return out;
}
