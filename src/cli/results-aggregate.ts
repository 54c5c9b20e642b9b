import { Command, Option } from 'clipanion';
import { join } from 'node:path';
import { ok, type Result } from '../core/result.js';
import { terminalSafe } from '../core/terminal-text.js';
import { CampaignResultsCommand } from './results-command.js';
import { defaultOutDir, validityLines } from './results-shared.js';

export class ResultsAggregateCommand extends CampaignResultsCommand {
  static override paths = [['results', 'aggregate']];
  static override usage = Command.Usage({
    category: 'Results',
    description: 'Statistics across cycles: experiments.csv, summary.csv and summary.json',
    details: `
      Reads every result.json under the results folder (default: the most recently modified campaign), validates it
      against the result schema v6 (reading v3, v4 and v5 results as v6) and skips, naming the file and the reason, anything invalid, truncated or
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

  out = Option.String('--out', { description: 'Output folder (default <results>/_aggregate/<campaign|all>)' });

  async run(): Promise<Result<unknown>> {
    const input = await this.selectedResults();
    if (!input.ok) return input;
    const { root, summary, selection } = input.value;
    // Loaded when the command runs, so other commands do not pay for the statistics modules at start-up.
    const [{ aggregate }, { bestWorst, paperTable, skippedLines, warningLines }, { writeFilesAtomic }] =
      await Promise.all([
        import('../results/aggregate.js'),
        import('../results/text-summary.js'),
        import('../core/atomic-file.js'),
      ]);
    const { collection, scope, scopeName } = input.value.selected;
    const validity = input.value.validity;
    const agg = await aggregate(collection, summary, new Date(), validity);

    const outDir = this.out ?? defaultOutDir(root, scopeName);
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
        (selection.kind === 'latest' ? ' (the latest; pass --campaign <id> or --all for others)' : ''),
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
