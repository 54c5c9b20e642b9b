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

export class ResultsReportCommand extends LemCommand {
  static override paths = [['results', 'report']];
  static override usage = Command.Usage({
    category: 'Results',
    description: 'One self-contained HTML report with charts (no network needed to open it)',
    details: `
      Charts are rendered to inline SVG at build time (Vega-Lite): energy per output token against throughput with
      the Pareto front, box plots across cycles, TTFT and end-to-end latency percentiles, GPU power over time for one
      experiment (its samples.csv), and a table of warnings (throttling, unconverged warmups, high CV). Where energy
      was not measured (simulated results) the chart area says so.
    `,
    examples: [
      ['Report on the latest campaign', '$0 results report'],
      [
        'Choose the campaign, the output file and the experiment for the power chart',
        '$0 results report --campaign demo-20260101-020000-1a2b --out report.html --experiment 0003-c1-synthetic-3fa2b9c1d4e5',
      ],
    ],
  });

  campaign = Option.String('--campaign', { description: 'Campaign id (a folder under --results); default the latest' });
  all = Option.Boolean('--all', false, { description: 'Every campaign in one report' });
  results = Option.String('--results', { description: RESULTS_OPTION_HELP });
  project = Option.String('--project', { description: PROJECT_OPTION_HELP });
  maxResultMb = Option.String('--max-result-mb', { description: MAX_RESULT_MB_HELP });
  out = Option.String('--out', {
    description: 'HTML file to write (default <results>/_aggregate/<campaign|all>/report.html)',
  });
  experiment = Option.String('--experiment', { description: 'Experiment id for the power-over-time chart' });
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
    const [{ summariseParallel }, { collectWarnings }, { writeFilesAtomic }] = await Promise.all([
      import('../results/summary.js'),
      import('../results/warnings.js'),
      import('../core/atomic-file.js'),
    ]);
    const collected = await selectAndCollect(root.value, selection.value, collect.value);
    if (!collected.ok) return collected;
    const selected = await applyValidity(collected.value, this.includeInvalid);
    if (!selected.ok) return selected;
    const { collection, scope, scopeName } = selected.value.selected;
    const validity = selected.value.validity;

    const opts = summary.value;
    const summaries = await summariseParallel(collection.results, opts);
    const warnings = collectWarnings(collection.results, summaries);
    // Vega is loaded only here: aggregate and compare start faster without it.
    const { buildReport } = await import('../results/report/build.js');
    const report = await buildReport(
      { collection, summaries, warnings, scope, level: opts.level, resamples: opts.resamples, validity },
      { experimentId: this.experiment },
    );
    if (!report.ok) return report;
    const out = this.out ?? join(defaultOutDir(root.value, scopeName), 'report.html');
    // Re-derivable from the results, so no fsync.
    const written = writeFilesAtomic(new Map([[out, report.value.html]]), { durable: false });
    if (!written.ok) return written;

    if (this.json) {
      this.printJson({
        out,
        scope,
        experiments: collection.results.length,
        configs: summaries.length,
        charts: report.value.charts,
        power_experiment: report.value.powerExperiment,
        skipped: collection.skipped,
        invalid: validity.invalid,
      });
      return ok(undefined);
    }
    const lines = [`Wrote ${out} (${collection.results.length} experiments, ${summaries.length} configurations)`];
    for (const c of report.value.charts)
      lines.push(`  ${c.rendered ? 'chart' : 'no chart'}  ${c.id}${c.note ? `: ${c.note}` : ''}`);
    if (collection.skipped.length > 0)
      lines.push(`Skipped ${collection.skipped.length} result files (listed in the report)`);
    lines.push(...validityLines(validity));
    this.print(terminalSafe(lines.join('\n')));
    return ok(undefined);
  }
}
