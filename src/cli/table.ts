/** Plain aligned text table for terminals (no colours, so it pastes into notes and issues cleanly). */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { alignRight?: readonly number[] } = {},
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = new Set(opts.alignRight ?? []);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
