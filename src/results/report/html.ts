/**
 * HTML building blocks for the self-contained report: inline CSS, inline SVG, no scripts, no external resources.
 * Every interpolated string goes through escapeHtml.
 */

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export interface ChartBlock {
  id: string;
  title: string;
  caption: string;
  /** Rendered SVG, or null with `unavailable` saying why there is no chart. */
  svg: string | null;
  unavailable?: string;
}

export function chartFigure(c: ChartBlock): string {
  const body = c.svg ?? `<p class="unavailable">${escapeHtml(c.unavailable ?? 'No data for this chart.')}</p>`;
  return `<figure class="chart${c.svg ? '' : ' chart-unavailable'}" data-chart="${escapeHtml(c.id)}" id="chart-${escapeHtml(c.id)}">
<h3>${escapeHtml(c.title)}</h3>
<div class="chart-body">${body}</div>
<figcaption>${escapeHtml(c.caption)}</figcaption>
</figure>`;
}

/** A cell's second line (after "\n"), e.g. a confidence interval, is set smaller beneath the first. */
function cell(text: string): string {
  const [first, ...rest] = text.split('\n');
  return escapeHtml(first ?? '') + (rest.length ? `<br><span class="sub">${escapeHtml(rest.join(' '))}</span>` : '');
}

export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1, cls = ''): string {
  const th = header.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f2d3d; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 2px 0; font-size: 13px; color: #d0d7de; }
main { padding: 8px 32px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; margin: 18px 0; padding: 6px 20px 16px; }
h2 { font-size: 18px; border-bottom: 1px solid #eee; padding-bottom: 6px; }
h3 { font-size: 14px; margin: 8px 0; }
figure.chart { margin: 12px 0 20px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; margin-top: 4px; max-width: 760px; }
p.unavailable { background: #fff8e1; border: 1px dashed #e0b000; padding: 18px; color: #6b5200; font-size: 14px; max-width: 720px; }
.banner { background: #fff3cd; border: 1px solid #e0b000; color: #5c4700; padding: 10px 14px; border-radius: 4px; margin: 14px 0 0; font-size: 14px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { font-size: 12px; color: #555; }
.table-wrap { overflow-x: auto; }
span.sub { color: #777; font-size: 11px; }
`;

export function page(title: string, subtitle: readonly string[], banner: string | null, sections: readonly string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
${subtitle.map((s) => `<p>${escapeHtml(s)}</p>`).join('\n')}
</header>
<main>
${banner ? `<div class="banner">${escapeHtml(banner)}</div>` : ''}
${sections.join('\n')}
</main>
</body>
</html>
`;
}
