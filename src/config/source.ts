import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { ErrorCode, lemError, type Issue, type SourceLocation } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from './limits.js';
import { readConfigText } from './read-file.js';
import { describeYamlErrors } from './yaml-errors.js';
import { lineOf, nestingDepthOver, structureProblems } from './yaml-structure.js';

/** A segment of a path inside a document: map key or sequence index. */
export type PathSegment = string | number;
export type DocPath = readonly PathSegment[];

/**
 * A YAML file parsed with its source positions kept, so any field path (from zod, the grid, the daemon's cron
 * check) can be turned back into file:line:column long after the plain JS value was produced.
 */
export interface YamlSource {
  /** The path as the user wrote it (relative paths stay relative, so messages read like their command line). */
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The document as plain JS (merge keys `<<` resolved). */
  readonly data: unknown;
}

/** "a.b[2].c": the form field paths take in every message. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function syntaxError(file: string, issues: Issue[]): Result<never> {
  return err(lemError(ErrorCode.YAML_SYNTAX, `${file} is not valid YAML`, { issues }));
}

/**
 * Parse a config document, keeping positions. Beyond YAML syntax it refuses what lem cannot honour: keys that
 * are null or `__proto__`, and nesting deeper than limits.maxDepth (also once aliases are expanded).
 */
export function parseYaml(
  file: string,
  text: string,
  limits: Pick<ConfigLimits, 'maxDepth'> = DEFAULT_CONFIG_LIMITS,
): Result<YamlSource> {
  const lineCounter = new LineCounter();
  // merge: true lets users share blocks with anchors and `<<:`, a common YAML idiom for config families.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = describeYamlErrors(doc.errors, text, lineCounter);
    return syntaxError(
      file,
      problems.map((p) => ({
        location: { file, line: p.line, column: p.column },
        message: `YAML syntax: ${p.message}`,
      })),
    );
  }
  const shape = structureProblems(doc, limits.maxDepth);
  if (shape.length > 0) {
    return syntaxError(
      file,
      shape.map((p) => ({ location: { file, ...lineOf(lineCounter, p.offset) }, message: p.message })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    // toJS throws on alias abuse (billion laughs) or a merge of a non-map: a user error, reported at the top.
    const raw = e instanceof Error ? e.message : String(e);
    const message = /alias count/i.test(raw) ? 'its aliases (*name) expand to too much data: use fewer of them' : raw;
    return syntaxError(file, [{ location: { file, line: 1, column: 1 }, message }]);
  }
  if (nestingDepthOver(data, limits.maxDepth)) {
    return syntaxError(file, [
      {
        location: { file, line: 1, column: 1 },
        message: `nested more than ${limits.maxDepth} levels deep once its aliases are expanded`,
      },
    ]);
  }
  return ok({ file, doc, lineCounter, data });
}

/**
 * Read and parse a config file within `limits`: only a regular file, no larger than limits.maxFileBytes,
 * valid UTF-8 (see read-file.ts). A file that does not exist is FILE_NOT_FOUND; any other problem is
 * CONFIG_INVALID with one issue at the file (and the line, for bad UTF-8).
 */
export function readYamlFile(file: string, limits: ConfigLimits = DEFAULT_CONFIG_LIMITS): Result<YamlSource> {
  const text = readConfigText(file, limits.maxFileBytes);
  if (!text.ok) {
    const p = text.error;
    if (p.missing) return err(lemError(ErrorCode.FILE_NOT_FOUND, `cannot read ${file}: ${p.reason}`));
    const location = p.line !== undefined ? { file, line: p.line, column: p.column ?? 1 } : { file };
    return err(
      lemError(ErrorCode.CONFIG_INVALID, `cannot read ${file}: ${p.reason}`, {
        issues: [{ location, message: p.reason }],
      }),
    );
  }
  return parseYaml(file, text.value, limits);
}

/** The nearest thing to `path` that exists in the source: the node itself or the key that names it. */
interface Found {
  /** Offset where the path is named: a map key, or a sequence item. */
  readonly offset: number;
  /** How many segments of the path exist in the document. */
  readonly depth: number;
}

function resolveAlias(source: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(source.doc) : node;
}

/** `<<` with merge enabled: the yaml library gives its key the value Symbol(<<). */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  return key.value === '<<' || (typeof key.value === 'symbol' && key.value.description === '<<');
}

/** A map's pair for `key`, looking through `<<` merge keys as toJS does (own keys win). */
function findPair(
  source: YamlSource,
  map: unknown,
  key: string,
  seen = 0,
): { key: unknown; value: unknown } | undefined {
  const m = resolveAlias(source, map);
  if (!isMap(m) || seen > 20) return undefined;
  for (const pair of m.items) {
    if (isPair(pair) && isScalar(pair.key) && !isMergeKey(pair.key) && String(pair.key.value) === key) return pair;
  }
  for (const pair of m.items) {
    if (!isPair(pair) || !isMergeKey(pair.key)) continue;
    const sources = isSeq(resolveAlias(source, pair.value))
      ? (resolveAlias(source, pair.value) as { items: unknown[] }).items
      : [pair.value];
    for (const s of sources) {
      const found = findPair(source, s, key, seen + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function find(source: YamlSource, path: DocPath): Found {
  let node: unknown = source.doc.contents;
  let offset = nodeStart(node) ?? 0;
  let depth = 0;
  for (const seg of path) {
    const n = resolveAlias(source, node);
    if (typeof seg === 'number' && isSeq(n)) {
      const item = n.items[seg];
      if (item === undefined) break;
      node = item;
      offset = nodeStart(item) ?? offset;
    } else if (isMap(n)) {
      const pair = findPair(source, n, String(seg));
      if (!pair) break;
      node = pair.value;
      // Point at the key: it names the field, and for block maps the value starts on a later line.
      offset = nodeStart(pair.key) ?? nodeStart(pair.value) ?? offset;
    } else {
      break;
    }
    depth++;
  }
  return { offset, depth };
}

/**
 * Line and column (1-based) of `path` in the file; where the path does not exist (a missing required field),
 * the deepest part of it that does, so the user is sent to the block that lacks the field.
 */
export function locate(source: YamlSource, path: DocPath): SourceLocation {
  const { offset } = find(source, path);
  const pos = source.lineCounter.linePos(offset);
  return { file: source.file, line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) };
}
