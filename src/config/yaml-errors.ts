import type { LineCounter, YAMLError } from 'yaml';

/** A YAML syntax error placed on the line the user has to change, said in plain words. */
export interface YamlSyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

interface Lines {
  readonly all: readonly string[];
  /** 1-based line text ('' past the end). */
  at(line: number): string;
}

function splitLines(text: string): Lines {
  const all = text.split(/\r?\n/);
  return { all, at: (line) => all[line - 1] ?? '' };
}

const indentOf = (s: string): number => s.length - s.trimStart().length;
const isBlankOrComment = (s: string): boolean => /^\s*(#.*)?$/.test(s);

/** The next line after `line` that holds content, if any. */
function nextContentLine(lines: Lines, line: number): number | undefined {
  for (let l = line + 1; l <= lines.all.length; l++) if (!isBlankOrComment(lines.at(l))) return l;
  return undefined;
}

/** `key: value` on one line: the key, when the line has one with a value after it. */
function keyWithValue(s: string): string | undefined {
  const m = /^\s*(?:-\s+)?([^\s#:][^:#]*?):\s+[^\s#]/.exec(s);
  return m?.[1];
}

/** "Implicit key" errors: the commonest causes are an over-indented line, a missing space, or `a: b: c`. */
function implicitKey(lines: Lines, line: number, column: number): YamlSyntaxProblem {
  const here = lines.at(line);
  const key = keyWithValue(here);
  const next = nextContentLine(lines, line);
  if (key !== undefined && next !== undefined && indentOf(lines.at(next)) > indentOf(here)) {
    // The parser trips over line `line`, but the line to change is the over-indented one below it.
    return {
      line: next,
      column: indentOf(lines.at(next)) + 1,
      message: `this line is indented more than "${key}:" on line ${line}, which already has a value: indent it as "${key}:" is (column ${indentOf(here) + 1}) to make it a sibling`,
    };
  }
  if (/^\s*(?:-\s+)?[^\s#:'"][^\s:#]*:[^\s/]/.test(here) && !/:\s/.test(here)) {
    return {
      line,
      column: indentOf(here) + 1,
      message: 'a key and its value need ": " between them (a space after the colon)',
    };
  }
  if (key !== undefined && /:\s+[^'"\s][^#]*:\s/.test(here)) {
    return { line, column, message: 'a value containing ": " must be quoted, e.g. key: "a: b"' };
  }
  return { line, column, message: 'a key must be written on one line as "key: value", indented as its siblings are' };
}

/** Where the string still open at `offset` began: the last opening quote before it. */
function openingQuote(text: string, offset: number, quote: string, lc: LineCounter): { line: number; col: number } {
  const at = text.lastIndexOf(quote, Math.max(0, offset - 1));
  return lc.linePos(at >= 0 ? at : offset);
}

/** The key named at `offset` (a duplicate key error points at it). */
function keyAt(text: string, offset: number): string {
  const m = /^\s*["']?([^"':\n]*)/.exec(text.slice(offset, offset + 200));
  return (m?.[1] ?? '').trim();
}

/**
 * Plain-words messages for the errors users make, by the yaml library's error code. The library's own
 * sentences name parser states ("compact mappings", "implicit keys") and often the line before the one that
 * is wrong; these say what to change, and where.
 */
export function describeYamlError(error: YAMLError, text: string, lc: LineCounter): YamlSyntaxProblem {
  const lines = splitLines(text);
  const { line, col: column } = lc.linePos(error.pos[0]);
  const plain = (message: string): YamlSyntaxProblem => ({ line, column, message });
  switch (error.code) {
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return implicitKey(lines, line, column);
    case 'BAD_INDENT':
      if (/flow/i.test(error.message))
        return plain('a [list] or {mapping} is not closed: end it with ] or } (or indent its next lines further)');
      return plain('this line is not aligned with the keys above it: keys of one mapping start at the same column');
    case 'TAB_AS_INDENT':
      return plain('a tab is used for indentation: YAML allows only spaces');
    case 'MISSING_CHAR': {
      const quote = /"/.test(error.message) ? '"' : /'/.test(error.message) ? "'" : undefined;
      if (quote) {
        const open = openingQuote(text, error.pos[0], quote, lc);
        return {
          line: open.line,
          column: open.col,
          message: `the quoted value that starts here is never closed: add the closing ${quote}`,
        };
      }
      return plain('expected "key: value" here: a key needs a colon and a space after it');
    }
    case 'DUPLICATE_KEY':
      return plain(
        `the key "${keyAt(text, error.pos[0])}" appears twice in the same mapping (Map keys must be unique): keep one`,
      );
    case 'MULTIPLE_DOCS':
      return plain('a second YAML document starts here ("---"): a config file holds one document');
    case 'BAD_SCALAR_START':
      return plain('a value cannot start with this character (@, ` or %): put the value in quotes');
    case 'BAD_DQ_ESCAPE':
      return plain('invalid escape in a "double-quoted" value: write \\\\ for a backslash, or use single quotes');
    case 'UNEXPECTED_TOKEN':
      return plain('unexpected text: check this line is "key: value" or "- item", indented as its siblings are');
    case 'BLOCK_IN_FLOW':
      return plain('a block (an indented mapping or "- " list) cannot appear inside [ ] or { }');
    case 'KEY_OVER_1024_CHARS':
      return plain('a key longer than 1024 characters: is a colon missing?');
    case 'RESOURCE_EXHAUSTION':
      return plain('the document is nested too deeply to read');
    default:
      return plain(error.message.split('\n')[0] ?? error.message);
  }
}

/** One problem per line: the parser often reports a cascade of errors for one mistake. */
export function describeYamlErrors(errors: readonly YAMLError[], text: string, lc: LineCounter): YamlSyntaxProblem[] {
  const byLine = new Map<number, YamlSyntaxProblem>();
  for (const e of errors) {
    const p = describeYamlError(e, text, lc);
    if (!byLine.has(p.line)) byLine.set(p.line, p);
  }
  return [...byLine.values()].slice(0, 5);
}
