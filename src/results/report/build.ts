import type { TopLevelSpec } from 'vega-lite';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import type { ValidityNote } from '../aggregate.js';
import type { Collection, CollectedResult } from '../collect.js';
import { fmt } from '../format.js';
import { HEADLINE_METRICS } from '../metrics.js';
import { summaryRowKey } from '../rows.js';
import { readPowerSeries, samplesPath } from '../samples.js';
import type { ConfigSummary } from '../summary.js';
import { groupWarnings, WARNING_TITLES, type ResultWarning } from '../warnings.js';
import { boxPlotSpec, cycleData, MAX_ROWS, paretoData, paretoFrontList, paretoSpec, percentileBarsSpec, percentileData, powerSpec } from './charts.js';
import { chartFigure, escapeHtml, htmlTable, page, section, type ChartBlock } from './html.js';
import { layersSection } from './layers-section.js';
import { placementSection } from './placement-section.js';
import { renderSvg } from './render-svg.js';
import { operatingPoints, paretoFront3 } from '../serving-pareto.js';
import { energyVsLoadSpec, latencyVsLoadSpec, servingPoints, throughputVsLoadSpec } from './serving-charts.js';

/**
 * Assembles the self-contained HTML report: summary table, energy/throughput Pareto chart, box plots across cycles,
 * latency percentile bars, power over time for one experiment, warnings. Where a chart has no data (energy of
 * simulated runs) the chart area says why instead of drawing an empty or misleading chart.
 */
export interface ReportInput {
  collection: Collection;
  summaries: readonly ConfigSummary[];
  warnings: readonly ResultWarning[];
  scope: readonly string[];
  level: number;
  resamples: number;
  /** Results that failed a validity check (left out of the numbers unless included); listed with their reasons. */
  validity?: ValidityNote;
}

export interface ReportOptions {
  /** Experiment whose samples.csv is drawn; default: the first cycle of the most energy-efficient configuration. */
  experimentId?: string;
  now?: Date;
  /** A line shown above everything, e.g. that the data is synthetic (the docs screenshot says so in the image). */
  notice?: string;
}

export interface Report {
  html: string;
  charts: { id: string; rendered: boolean; note: string | null }[];
  powerExperiment: string | null;
}

export async function buildReport(input: ReportInput, opts: ReportOptions = {}): Promise<Result<Report>> {
  const { collection, summaries } = input;
  const results = collection.results;
  const chosen = chooseExperiment(results, summaries, opts.experimentId);
  if (!chosen.ok) return chosen;

  const ranked = rankForRows(summaries);
  const shown = ranked.slice(0, MAX_ROWS);
  const labels = new Map(shown.map((s) => [summaryRowKey(s), s.label]));
  const order = shown.map((s) => s.label);
  const rowsNote = summaries.length > MAX_ROWS ? ` Showing the ${MAX_ROWS} configurations with the lowest J/output token (of ${summaries.length}).` : '';
  const energyNote = energyUnavailableReason(results);

  const charts: ChartBlock[] = [];
  const pareto = paretoData(summaries);
  const frontList = paretoFrontList(pareto)
    .map((d, i) => `${i + 1}: ${d.label} (${fmt(d.tps)} tok/s, ${fmt(d.jpt)} J/tok)`)
    .join('; ');
  charts.push(
    await chart(
      'pareto',
      'Energy per output token against throughput',
      pareto.length > 0 ? paretoSpec(pareto) : null,
      energyNote,
      `Each point is a configuration: mean over cycles; bars are the 95 % bootstrap CI of J/output token (gross GPU energy, comparable with ML.ENERGY). Diamonds and the dashed line mark the Pareto front, where no other configuration is both faster and more frugal.${frontList ? ` Pareto front: ${frontList}.` : ''}`,
    ),
  );
  const energyCycles = cycleData(results, labels, (r) => (r.doc.energy.available ? r.doc.energy.j_per_output_token : null));
  charts.push(
    await chart('box-energy', 'J per output token across cycles', energyCycles.length > 0 ? boxPlotSpec(energyCycles, order, 'J/output token') : null, energyNote, `Spread across cycles: one box per configuration (whiskers 1.5 IQR) of each cycle's deviation from the configuration's mean J/output token, so configurations an order of magnitude apart share one axis; the means are in the summary table.${rowsNote}`),
  );
  const tpsCycles = cycleData(results, labels, (r) => r.doc.throughput.output_tokens_per_s);
  charts.push(await chart('box-throughput', 'Output tokens/s across cycles', tpsCycles.length > 0 ? boxPlotSpec(tpsCycles, order, 'Output tok/s') : null, 'No throughput values.', `Spread across cycles of output tokens/s, as deviation from each configuration's mean.${rowsNote}`));
  const ttft = percentileData(results, labels, (r) => r.doc.latency.ttft_ms);
  charts.push(
    await chart('latency-ttft', 'Time to first token percentiles', ttft.length > 0 ? percentileBarsSpec(ttft, order, 'TTFT (ms), mean over cycles') : null, 'No TTFT distribution in these results (the engine does not stream, or the run was offline).', `TTFT: request sent to first token received. Bars are per-run percentiles averaged over cycles.${rowsNote}`),
  );
  const e2e = percentileData(results, labels, (r) => r.doc.latency.e2e_ms);
  charts.push(
    await chart('latency-e2e', 'End-to-end request latency percentiles', e2e.length > 0 ? percentileBarsSpec(e2e, order, 'E2E latency (ms), mean over cycles') : null, 'No end-to-end latency distribution in these results.', `E2E: client-side request latency. Bars are per-run percentiles averaged over cycles.${rowsNote}`),
  );
  charts.push(await powerChart(chosen.value));

  const sections = [
    section('summary', 'Summary across cycles', summaryTable(summaries, input.level)),
    section('energy', 'Energy and throughput', [charts[0]!, charts[1]!, charts[2]!].map(chartFigure).join('\n')),
    section('latency', 'Latency', [charts[3]!, charts[4]!].map(chartFigure).join('\n')),
    section('power', 'Power over time', chartFigure(charts[5]!)),
    ...(await layersSection(results, summaries)),
    ...(await servingSection(results)),
    ...placementSection(results),
    section('warnings', 'Warnings', warningsTable(input.warnings)),
    section('inputs', 'Inputs', inputsBlock(input)),
  ];
  const simulated = results.filter((r) => r.doc.simulated).length;
  const simulatedNote = simulated > 0 ? `${simulated} of ${results.length} results are simulated (synthetic engine): their latency and throughput are not real measurements and they have no energy.` : null;
  const banner = [opts.notice, simulatedNote].filter((x): x is string => Boolean(x)).join(' ') || null;
  const now = opts.now ?? new Date();
  const html = page(
    `lem report: ${input.scope.join(', ')}`,
    [`${results.length} experiments, ${summaries.length} configurations, campaigns ${[...new Set(results.map((r) => r.doc.experiment.campaign_id))].join(', ')}`, `Generated ${now.toISOString()} by lem results report`],
    banner,
    sections,
  );
  return ok({
    html,
    charts: charts.map((c) => ({ id: c.id, rendered: c.svg !== null, note: c.svg ? null : (c.unavailable ?? null) })),
    powerExperiment: chosen.value?.doc.experiment.experiment_id ?? null,
  });
}

async function chart(id: string, title: string, spec: TopLevelSpec | null, unavailable: string, caption: string): Promise<ChartBlock> {
  if (spec === null) return { id, title, caption, svg: null, unavailable };
  return { id, title, caption, svg: await renderSvg(spec) };
}

/** Rows ordered by J/output token (then throughput when energy is missing): the best configurations first. */
function rankForRows(summaries: readonly ConfigSummary[]): ConfigSummary[] {
  const e = (s: ConfigSummary): number => s.metrics['j_per_output_token']?.mean ?? Infinity;
  const t = (s: ConfigSummary): number => s.metrics['output_tokens_per_s']?.mean ?? 0;
  return [...summaries].sort((a, b) => e(a) - e(b) || t(b) - t(a) || a.label.localeCompare(b.label, 'en', { numeric: true }));
}

function energyUnavailableReason(results: readonly CollectedResult[]): string {
  const simulated = results.filter((r) => r.doc.simulated).length;
  if (simulated === results.length) {
    return `Energy not available: all ${results.length} results are simulated (synthetic engine), which measures no GPU energy. Run the campaign on a GPU backend for this chart.`;
  }
  const reasons = [...new Set(results.filter((r) => !r.doc.energy.available).map((r) => r.doc.energy.reason ?? 'no reason given'))];
  return `Energy not available for any result${reasons.length ? `: ${reasons.slice(0, 3).join('; ')}` : ''}.`;
}

type Chosen = CollectedResult | null;

function chooseExperiment(results: readonly CollectedResult[], summaries: readonly ConfigSummary[], id: string | undefined): Result<Chosen> {
  if (id !== undefined) {
    const matches = results.filter((r) => r.doc.experiment.experiment_id === id);
    if (matches.length === 0) return err(lemError(ErrorCode.USAGE, `experiment "${id}" is not among the selected results`, { hint: `for example: ${results.slice(0, 5).map((r) => r.doc.experiment.experiment_id).join(', ')}` }));
    return ok(matches[0]!);
  }
  const withSamples = results.filter((r) => r.doc.files.samples_csv !== null);
  if (withSamples.length === 0) return ok(null);
  const best = rankForRows(summaries)[0]?.config_hash;
  return ok(withSamples.find((r) => r.doc.experiment.config_hash === best) ?? withSamples[0]!);
}

async function powerChart(chosen: Chosen): Promise<ChartBlock> {
  const base = { id: 'power', title: 'GPU power over time' };
  if (chosen === null) {
    return { ...base, caption: 'From samples.csv of one experiment.', svg: null, unavailable: 'No experiment in these results has a power time series (samples.csv): simulated results and runs without the sampler record none.' };
  }
  const e = chosen.doc.experiment;
  const path = await samplesPath(chosen.doc, chosen.dir);
  const shownPath = path.ok && path.value !== null ? path.value : `${chosen.dir}/samples.csv`;
  const caption =
    `Experiment ${e.experiment_id} (cycle ${e.cycle}), from ${shownPath}. Shading marks the idle baseline, warmup ` +
    'and measured window; a gap in the line is time without samples. Choose another with --experiment <id>.';
  if (!path.ok) return { ...base, caption, svg: null, unavailable: `Power over time unavailable: ${path.error}` };
  if (path.value === null) {
    const why = chosen.doc.simulated ? ' (simulated: no power is measured)' : '';
    return { ...base, caption, svg: null, unavailable: `Experiment ${e.experiment_id} has no samples.csv${why}.` };
  }
  const series = await readPowerSeries(path.value);
  if (!series.ok) return { ...base, caption, svg: null, unavailable: `Power over time unavailable: ${series.error}` };
  return { ...base, caption: caption + (series.value.downsampled ? ' Long series are shown as bucket means.' : ''), svg: await renderSvg(powerSpec(series.value)) };
}

function summaryTable(summaries: readonly ConfigSummary[], level: number): string {
  const header = ['Configuration', 'Config hash', 'n', ...HEADLINE_METRICS.map((m) => `${m.label} (${m.unit})`), 'Max CV'];
  const rows = summaries.map((s) => {
    const cvs = HEADLINE_METRICS.map((m) => s.metrics[m.key]?.cv).filter((c): c is number => c !== null && c !== undefined);
    return [
      s.label,
      s.config_hash,
      String(s.experiments),
      ...HEADLINE_METRICS.map((m) => {
        const v = s.metrics[m.key];
        if (!v || v.mean === null) return 'n/a';
        if (v.ci_low === null || v.ci_high === null) return fmt(v.mean);
        return `${fmt(v.mean)}\n[${fmt(v.ci_low)}, ${fmt(v.ci_high)}]${v.ci_reliable === false ? ' †' : ''}`;
      }),
      cvs.length ? `${fmt(Math.max(...cvs) * 100)} %` : 'n/a',
    ];
  });
  return `${htmlTable(header, rows, 2)}<p class="note">Mean over cycles [${Math.round(level * 100)} % bootstrap CI]. n/a: not measured (simulated runs, no NVML) or a single cycle (no interval). †: fewer than 3 cycles, the interval is just [min, max] and unreliable.</p>`;
}

function warningsTable(warnings: readonly ResultWarning[]): string {
  if (warnings.length === 0) return '<p>No warnings: no throttling, every warmup converged, CV under 10 %.</p>';
  // Throttling and warmup first: they are the ones that change a number. One row per distinct warning of a
  // configuration, with how many experiments it covers (eight simulated cycles are one row, not eight).
  const rank = (w: ResultWarning): number => ['throttled', 'warmup_unconverged', 'high_cv'].indexOf(w.kind) >>> 0;
  const groups = groupWarnings(warnings).sort((a, b) => rank(a.warning) - rank(b.warning));
  const rows = groups.map(({ warning: w, count, experiments }) => [
    WARNING_TITLES[w.kind],
    w.label,
    experiments.length === 0 ? '(all cycles)' : listExperiments(experiments),
    w.message,
    String(count),
  ]);
  return htmlTable(['Warning', 'Configuration', 'Experiments', 'Detail', 'Count'], rows, 4, 'warnings');
}

const LISTED_EXPERIMENTS = 6;

function listExperiments(ids: readonly string[]): string {
  const more = ids.length > LISTED_EXPERIMENTS ? `, … and ${ids.length - LISTED_EXPERIMENTS} more` : '';
  return ids.slice(0, LISTED_EXPERIMENTS).join(', ') + more;
}

function inputsBlock(input: ReportInput): string {
  const { collection } = input;
  const envs = [...new Set(collection.results.map((r) => {
    const env = r.doc.environment;
    return `${env.gpus.map((g) => g.name).join(' + ') || 'no GPU'} · driver ${env.driver_version ?? 'n/a'} · CUDA ${env.cuda_version ?? 'n/a'} · ${env.engine.name} ${env.engine.version ?? ''}`.trim();
  }))];
  const parts = [
    `<p>Sources: ${collection.sources.map(escapeHtml).join(', ')}. Bootstrap: ${input.resamples.toLocaleString('en-US')} resamples over cycles, percentile method.</p>`,
    `<p>Environments:</p><ul>${envs.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`,
  ];
  if (collection.superseded.length > 0) parts.push(`<p>${collection.superseded.length} earlier attempts were replaced by a later valid attempt of the same experiment.</p>`);
  if (collection.skipped.length > 0) {
    parts.push(`<p>Skipped ${collection.skipped.length} result files (not in any number above):</p>`, htmlTable(['File', 'Reason'], collection.skipped.map((s) => [s.path, s.reason]), 9));
  }
  const invalid = input.validity?.invalid ?? [];
  if (invalid.length > 0) {
    const what = input.validity?.includeInvalid ? 'kept in the numbers above (--include-invalid)' : 'not in any number above';
    const rows = invalid.map((x) => [x.path, x.reasons.join('; ')]);
    parts.push(`<p>${invalid.length} results failed a validity check, ${what}:</p>`, htmlTable(['File', 'Reasons'], rows, 9));
  }
  const notAssessed = input.validity?.notAssessed ?? 0;
  if (notAssessed > 0) {
    parts.push(`<p>${notAssessed} results were written before validity checks existed (schema v3): kept, not assessed.</p>`);
  }
  return parts.join('\n');
}

/** Serve-mode results: throughput, latency tails and J/output token against load; nothing for offline results. */
async function servingSection(results: readonly CollectedResult[]): Promise<string[]> {
  const points = servingPoints(results);
  if (points.length === 0) return [];
  const blocks = [
    await chart('serve-throughput', 'Throughput vs load', throughputVsLoadSpec(points), '', 'Output tokens/s at each concurrency (closed loop) or request rate (open loop), mean over cycles.'),
    await chart('serve-latency', 'Latency percentiles vs load', latencyVsLoadSpec(points), '', 'TTFT and ITL (vLLM bench serve definitions) at each load; log scale.'),
    await chart('serve-energy', 'J per output token vs load', energyVsLoadSpec(points), 'No energy for these serve runs (external endpoints without a power source).', 'Steady-state J/output token where measured, else whole-run.'),
  ];
  return [section('serving', 'Serving load', [...blocks.map(chartFigure), paretoTable(points)].join('\n'))];
}

/** The throughput–latency–energy Pareto front of the serve runs, as a table (empty without energy). */
function paretoTable(points: ReturnType<typeof servingPoints>): string {
  const runs = points.map((p) => ({
    series: p.series,
    load: p.load,
    throughput: p.outputTokensPerS,
    latency: p.latencyP99Ms,
    energy: p.jPerOutputToken,
  }));
  const front = paretoFront3(operatingPoints(runs));
  if (front.length === 0) return '<p>No Pareto front: no serve run has both latency and energy.</p>';
  const rows = front.map((f) => [f.id, f.throughput.toFixed(1), f.latency.toFixed(2), f.energy.toPrecision(4)]);
  const head = ['Server, model and load', 'Output tok/s', 'p99 TPOT (ms)', 'J/output token'];
  const note = 'Operating points no other one beats on all three (mean over cycles; steady-state J/token where measured).';
  return `<h3>Throughput–latency–energy Pareto front</h3>\n<p>${note}</p>\n${htmlTable(head, rows, 1)}`;
}
