import { Command, Option } from 'clipanion';
import { join } from 'node:path';
import { ok, type Result } from '../core/result.js';
import { terminalSafe } from '../core/terminal-text.js';
import { CampaignResultsCommand } from './results-command.js';
import { defaultOutDir, validityLines } from './results-shared.js';

export class ResultsReportCommand extends CampaignResultsCommand {
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

  out = Option.String('--out', {
    description: 'HTML file to write (default <results>/_aggregate/<campaign|all>/report.html)',
  });
  experiment = Option.String('--experiment', { description: 'Experiment id for the power-over-time chart' });

  async run(): Promise<Result<unknown>> {
    const input = await this.selectedResults();
    if (!input.ok) return input;
    const { root } = input.value;
    // Loaded when the command runs, so other commands do not pay for the statistics modules at start-up.
    const [{ summariseParallel }, { collectWarnings }, { writeFilesAtomic }] = await Promise.all([
      import('../results/summary.js'),
      import('../results/warnings.js'),
      import('../core/atomic-file.js'),
    ]);
    const { collection, scope, scopeName } = input.value.selected;
    const validity = input.value.validity;

    const opts = input.value.summary;
    const summaries = await summariseParallel(collection.results, opts);
    const warnings = collectWarnings(collection.results, summaries);
    // Vega is loaded only here: aggregate and compare start faster without it.
    const { buildReport } = await import('../results/report/build.js');
    const report = await buildReport(
      { collection, summaries, warnings, scope, level: opts.level, resamples: opts.resamples, validity },
      { experimentId: this.experiment },
    );
    if (!report.ok) return report;
    const out = this.out ?? join(defaultOutDir(root, scopeName), 'report.html');
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
