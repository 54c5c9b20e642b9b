import { escapeControl } from '../core/terminal-text.js';

/** Number formatting for tables people read: enough digits to compare configurations, no more. */

export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  // Three significant digits for small values (0.455 J/tok, 0.0701 J/tok).
  return x.toPrecision(3);
}

/** "0.455 [0.449, 0.461]"; the interval is left out when there is none (n < 2). */
export function fmtCI(mean: number | null, low: number | null, high: number | null): string {
  if (mean === null) return 'n/a';
  return low === null || high === null ? fmt(mean) : `${fmt(mean)} [${fmt(low)}, ${fmt(high)}]`;
}

/**
 * Aligned Markdown pipe table: readable in a terminal, pastes into Markdown/Quarto/Pandoc as a table. Cells are
 * escaped for the terminal before they are padded (labels come from result files), so columns stay aligned.
 */
export function markdownTable(
  header: readonly string[],
  rawRows: readonly (readonly string[])[],
  align: readonly ('l' | 'r')[] = [],
): string {
  const rows = rawRows.map((r) => r.map(escapeControl));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (s: string, i: number): string => (align[i] === 'r' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
