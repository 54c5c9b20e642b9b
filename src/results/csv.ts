/** Minimal RFC 4180 CSV: enough for lem's own tables and the harness's samples.csv, no dependency. */

export type Cell = string | number | boolean | null | undefined;

/**
 * Quotes a cell only when it must be (comma, quote, newline); null/undefined become empty cells. Text that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR: experiment ids, labels, model names come
 * from files lem did not write) gets a leading single quote, OWASP's rule for CSV injection. Numbers stay numbers, a
 * negative one included, and so does text that is just a number ("-0.5"): neither can be a formula.
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const s = neutraliseFormula(String(value));
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !NUMBER_TEXT.test(text) ? `'${text}` : text;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',');
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const out = [csvLine(header)];
  for (const r of rows) out.push(csvLine(r));
  return out.join('\n') + '\n';
}

/** Parses CSV text into rows of strings (quoted fields, embedded commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
