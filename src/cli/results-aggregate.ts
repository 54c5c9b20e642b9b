import { Command, Option } from 'clipanion';
import { join } from 'node:path';
import { ok, type Result } from '../core/result.js';
import { DEFAULT_SUMMARY_OPTIONS } from '../results/defaults.js';
import { terminalSafe } from '../core/terminal-text.js';
import { LemCommand } from './base-command.js';
import {
  applyValidity,
  campaignSelection,
  collectOptions,
  defaultOutDir,
  INCLUDE_INVALID_DESCRIPTION,
  MAX_RESULT_MB_HELP,
  PROJECT_OPTION_HELP,
  RESULTS_OPTION_HELP,
  resultsRoot,
  selectAndCollect,
  summaryOptions,
  validityLines,
} from './results-shared.js';

export class ResultsAggregateCommand extends LemCommand {
  static override paths = [['results', 'aggregate']];
  static override usage = Command.Usage({
    category: 'Results',
    description: 'Statistics across cycles: experiments.csv, summary.csv and summary.json',
    details: `
      Reads every result.json under the results folder (default: the most recently modified campaign), validates it
      against the result schema v4 (migrating v3 results on read) and skips, naming the file and the reason, anything invalid, truncated or
      missing. A retried experiment counts once: its latest valid attempt. Results that failed a validity check
      (window under 10 s, sparse samples, counter and integral apart, ...) are listed with their reasons and left
      out of the statistics unless --include-invalid.

      Writes (atomically) experiments.csv (one row per experiment and cycle, every scalar metric a column),
      summary.csv and summary.json (one row per configuration hash: n, mean, sample std, CV and a seeded bootstrap
      95 % CI for J/output token, adjusted J/output token, output tok/s, TTFT p50/p95 and E2E p50/p95), then prints
      the table, best and worst configurations, and warnings.
    `,
    examples: [
      ['Aggregate the latest campaign', '$0 results aggregate'],
      [
        'Aggregate one campaign into a folder of your choice',
        '$0 results aggregate --campaign sweep-1 --out paper/tables',
      ],
      ['Every campaign, machine-readable', '$0 results aggregate --all --json'],
    ],
  });

  campaign = Option.String('--campaign', { description: 'Campaign id (a folder under --results)' });
  all = Option.Boolean('--all', false, { description: 'Aggregate every campaign together' });
  results = Option.String('--results', { description: RESULTS_OPTION_HELP });
  project = Option.String('--project', { description: PROJECT_OPTION_HELP });
  maxResultMb = Option.String('--max-result-mb', { description: MAX_RESULT_MB_HELP });
  out = Option.String('--out', { description: 'Output folder (default <results>/_aggregate/<campaign|all>)' });
  resamples = Option.String('--resamples', {
    description: `Bootstrap resamples (default ${DEFAULT_SUMMARY_OPTIONS.resamples})`,
  });
  seed = Option.String('--seed', { description: `Bootstrap seed (default ${DEFAULT_SUMMARY_OPTIONS.seed})` });
  includeInvalid = Option.Boolean('--include-invalid', false, { description: INCLUDE_INVALID_DESCRIPTION });

  async run(): Promise<Result<unknown>> {
    const selection = campaignSelection(this.campaign, this.all);
    if (!selection.ok) return selection;
    const summary = summaryOptions(this.resamples, this.seed);
    if (!summary.ok) return summary;
    const collect = collectOptions(this.maxResultMb);
    if (!collect.ok) return collect;
    const root = await resultsRoot(this.results, this.project);
    if (!root.ok) return root;

    // Loaded when the command runs, so other commands do not pay for the statistics modules at start-up.
    const [{ aggregate }, { bestWorst, paperTable, skippedLines, warningLines }, { writeFilesAtomic }] =
      await Promise.all([
        import('../results/aggregate.js'),
        import('../results/text-summary.js'),
        import('../core/atomic-file.js'),
      ]);
    const collected = await selectAndCollect(root.value, selection.value, collect.value);
    if (!collected.ok) return collected;
    const selected = await applyValidity(collected.value, this.includeInvalid);
    if (!selected.ok) return selected;
    const { collection, scope, scopeName } = selected.value.selected;
    const validity = selected.value.validity;
    const agg = await aggregate(collection, summary.value, new Date(), validity);

    const outDir = this.out ?? defaultOutDir(root.value, scopeName);
    const files = {
      experiments_csv: join(outDir, 'experiments.csv'),
      summary_csv: join(outDir, 'summary.csv'),
      summary_json: join(outDir, 'summary.json'),
    };
    // Re-derivable from the results, so no fsync.
    const written = writeFilesAtomic(
      new Map([
        [files.experiments_csv, agg.experimentsCsv],
        [files.summary_csv, agg.summaryCsv],
        [files.summary_json, JSON.stringify(agg.summaryJson, null, 2) + '\n'],
      ]),
      { durable: false },
    );
    if (!written.ok) return written;

    if (this.json) {
      this.printJson({
        campaigns: agg.campaigns,
        scope,
        out: outDir,
        files,
        experiments: collection.results.length,
        configs: agg.summaries.length,
        superseded: collection.superseded.map((r) => r.path),
        skipped: collection.skipped,
        invalid: validity.invalid,
        include_invalid: validity.includeInvalid,
        validity_not_assessed: validity.notAssessed,
        warnings: agg.warnings,
        summary: agg.summaries,
      });
      return ok(undefined);
    }
    const lines = [
      `Aggregated ${collection.results.length} experiments, ${agg.summaries.length} configurations, from ${agg.campaigns.length === 1 ? `campaign ${agg.campaigns[0]}` : `${agg.campaigns.length} campaigns`}` +
        (selection.value.kind === 'latest' ? ' (the latest; pass --campaign <id> or --all for others)' : ''),
    ];
    if (collection.superseded.length > 0)
      lines.push(`${collection.superseded.length} earlier attempts replaced by a later valid one`);
    if (collection.skipped.length > 0)
      lines.push(`Skipped ${collection.skipped.length} result files:`, ...skippedLines(collection.skipped));
    lines.push(...validityLines(validity));
    lines.push('', paperTable(agg.summaries), '', ...bestWorst(agg.summaries));
    if (agg.warnings.length > 0) lines.push('', 'Warnings:', ...warningLines(agg.warnings));
    lines.push('', `Wrote ${files.experiments_csv}, ${files.summary_csv}, ${files.summary_json}`);
    this.print(terminalSafe(lines.join('\n')));
    return ok(undefined);
  }
}
