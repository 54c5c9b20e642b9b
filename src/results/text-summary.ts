import type { SkippedFile } from './collect.js';
import { fmt, fmtCI, markdownTable } from './format.js';
import { HEADLINE_METRICS, type HeadlineMetric } from './metrics.js';
import type { ConfigSummary } from './summary.js';
import { WARNING_TITLES, type ResultWarning, type WarningKind } from './warnings.js';

/** The terminal summary of `lem results aggregate`: the paper table, best and worst, warnings, skipped files. */

const SHOWN_PER_KIND = 5;

export function paperTable(summaries: readonly ConfigSummary[], level = 0.95): string {
  const header = ['Configuration', 'n', ...HEADLINE_METRICS.map((m) => `${m.label} (${m.unit})`)];
  const rows = summaries.map((s) => [
    s.label,
    String(s.experiments),
    ...HEADLINE_METRICS.map((m) => {
      const v = s.metrics[m.key];
      if (!v) return 'n/a';
      return fmtCI(v.mean, v.ci_low, v.ci_high) + (v.ci_reliable === false ? ' †' : '');
    }),
  ]);
  const note =
    `Mean over cycles [${Math.round(level * 100)} % bootstrap CI]; n/a: not measured (simulated or no NVML);` +
    ' †: fewer than 3 cycles, the interval is just [min, max] and unreliable.';
  return `${markdownTable(header, rows, ['l', 'r', ...HEADLINE_METRICS.map(() => 'r' as const)])}\n${note}`;
}

export interface Extremes {
  metric: HeadlineMetric;
  best: ConfigSummary;
  worst: ConfigSummary;
}

/**
 * Best and worst configuration by mean for a metric, among configurations that have a finite value. Simulated rows
 * compete only among themselves: a synthetic engine's throughput is no rival to a measured one.
 */
export function extremes(summaries: readonly ConfigSummary[], metric: HeadlineMetric): Extremes | null {
  const measured = summaries.filter((s) => s.simulated === 0);
  const pool = measured.length > 0 ? measured : summaries;
  const withValue = pool.filter((s) => Number.isFinite(s.metrics[metric.key]?.mean));
  if (withValue.length === 0) return null;
  const value = (s: ConfigSummary): number => s.metrics[metric.key]!.mean!;
  const sorted = [...withValue].sort((a, b) => (metric.better === 'lower' ? value(a) - value(b) : value(b) - value(a)));
  return { metric, best: sorted[0]!, worst: sorted[sorted.length - 1]! };
}

export function bestWorst(summaries: readonly ConfigSummary[]): string[] {
  const lines: string[] = [];
  for (const key of ['j_per_output_token', 'output_tokens_per_s', 'ttft_p95_ms', 'e2e_p95_ms']) {
    const metric = HEADLINE_METRICS.find((m) => m.key === key)!;
    const e = extremes(summaries, metric);
    if (!e) {
      lines.push(`${metric.label}: not available for any configuration${metric.energy ? ' (energy not measured: simulated results or no NVML)' : ''}`);
      continue;
    }
    const v = (s: ConfigSummary): string => `${fmt(s.metrics[key]!.mean)} ${metric.unit}`;
    lines.push(`${metric.label}: best ${e.best.label} (${v(e.best)}), worst ${e.worst.label} (${v(e.worst)})`);
  }
  return lines;
}

export function warningLines(warnings: readonly ResultWarning[], shown = SHOWN_PER_KIND): string[] {
  const byKind = new Map<WarningKind, ResultWarning[]>();
  for (const w of warnings) {
    const list = byKind.get(w.kind);
    if (list) list.push(w);
    else byKind.set(w.kind, [w]);
  }
  const lines: string[] = [];
  for (const [kind, ws] of byKind) {
    lines.push(`${WARNING_TITLES[kind]}: ${ws.length}`);
    for (const w of ws.slice(0, shown)) {
      const where = w.experiment_id ? `${w.experiment_id} (cycle ${w.cycle}, ${w.label})` : w.label;
      lines.push(`  - ${where}: ${w.message}`);
    }
    if (ws.length > shown) lines.push(`  … and ${ws.length - shown} more (summary.json lists all)`);
  }
  return lines;
}

export function skippedLines(skipped: readonly SkippedFile[], shown = 20): string[] {
  const lines = skipped.slice(0, shown).map((s) => `  - ${s.path}: ${s.reason}`);
  if (skipped.length > shown) lines.push(`  … and ${skipped.length - shown} more (summary.json lists all)`);
  return lines;
}
