import { interpolate, type Variables } from './interpolate.js';

/**
 * The `KEY=VALUE` files compose reads: `env_file:` of a service and the project's `.env` (variables for
 * interpolation). Blank lines and `#` comments are skipped, an `export ` prefix is allowed; a value may be
 * unquoted (a trailing ` # comment` is dropped), 'single-quoted' (taken as written) or "double-quoted" (`\n`, `\t`,
 * `\"` and `\\` escapes). Unquoted and double-quoted values are interpolated, as compose does, against `vars` and the
 * keys defined above them in the same file.
 */
export interface DotenvIssue {
  readonly line: number;
  readonly message: string;
}

export type DotenvResult =
  | { readonly ok: true; readonly vars: Record<string, string> }
  | { readonly ok: false; readonly issues: readonly DotenvIssue[] };

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$/;

export function parseDotenv(text: string, vars: Variables): DotenvResult {
  const out: Record<string, string> = {};
  const issues: DotenvIssue[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*(#.*)?$/.test(raw)) return;
    const m = LINE.exec(raw);
    if (!m) {
      issues.push({ line, message: `expected KEY=VALUE, got "${raw.trim()}"` });
      return;
    }
    const value = parseValue(m[2]!, { ...vars, ...out });
    if (typeof value === 'string') out[m[1]!] = value;
    else issues.push({ line, message: `${m[1]}: ${value.error}` });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, vars: out };
}

function parseValue(raw: string, vars: Variables): string | { error: string } {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end < 0) return { error: 'the single quote is not closed' };
    return trailingOk(raw.slice(end + 1)) ? raw.slice(1, end) : { error: 'unexpected text after the closing quote' };
  }
  if (raw.startsWith('"')) {
    let value = '';
    for (let i = 1; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === '\\' && i + 1 < raw.length) {
        const e = raw[++i]!;
        value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else if (c === '"') {
        if (!trailingOk(raw.slice(i + 1))) return { error: 'unexpected text after the closing quote' };
        return expanded(value, vars);
      } else value += c;
    }
    return { error: 'the double quote is not closed' };
  }
  return expanded(raw.replace(/\s+#.*$/, ''), vars);
}

function trailingOk(rest: string): boolean {
  return /^\s*(#.*)?$/.test(rest);
}

function expanded(value: string, vars: Variables): string | { error: string } {
  const r = interpolate(value, vars);
  return r.ok ? r.value : { error: r.error };
}
