import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { Issue } from '../../core/errors.js';
import { interpolate, type Variables } from './interpolate.js';

/** One compose file, parsed with positions so that every problem can be reported as file:line. */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

export type Parsed = { ok: true; source: YamlSource } | { ok: false; issue: Issue };

export function parseYamlSource(file: string, text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    return { ok: false, issue: { location: { file, line }, message: first.message.split('\n')[0]! } };
  }
  return { ok: true, source: { file, doc, lines } };
}

/**
 * Interpolates every string value in place (keys are left as written, as compose does). An unquoted value that
 * becomes a number or a boolean takes that type, so `retries: ${RETRIES:-3}` is the number 3.
 */
export function interpolateSource(src: YamlSource, vars: Variables): Issue[] {
  const issues: Issue[] = [];
  visit(src.doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const r = interpolate(node.value, vars);
      if (!r.ok) {
        issues.push({ location: { file: src.file, line: lineOf(src, node) }, message: r.error });
        return;
      }
      node.value = node.type === 'PLAIN' ? retype(r.value) : r.value;
    },
  });
  return issues;
}

function retype(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

function lineOf(src: YamlSource, node: Node | null | undefined): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : src.lines.linePos(start).line;
}

/**
 * The line of `path` in the document: the key's line when the path ends at a mapping key. A key brought in by a
 * merge (`<<: *anchor`) is found at its line in the anchor. Undefined when the path is not in this document.
 */
export function lineOfPath(src: YamlSource, path: readonly (string | number)[]): number | undefined {
  let node: unknown = src.doc.contents;
  let line = lineOf(src, node as Node);
  for (const seg of path) {
    node = deref(src, node);
    if (isMap(node)) {
      const pair = findPair(src, node, String(seg));
      if (!pair) return undefined;
      line = lineOf(src, pair.key as Node) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return undefined;
      line = lineOf(src, node as Node) ?? line;
    } else return undefined;
  }
  return line;
}

function deref(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

function findPair(src: YamlSource, map: unknown, key: string, depth = 0): { key: unknown; value: unknown } | undefined {
  if (!isMap(map) || depth > 20) return undefined;
  const own = map.items.find(
    (p) => isPair(p) && isScalar(p.key) && typeof p.key.value !== 'symbol' && String(p.key.value) === key,
  );
  if (own) return own;
  // Merge keys: the later sources are overridden by the earlier ones, and the map's own keys by none.
  for (const p of map.items) {
    // With `merge: true` the parser gives a merge key the value Symbol(<<) and keeps `<<` as its source.
    if (!isPair(p) || !isScalar(p.key) || p.key.source !== '<<') continue;
    const targets = isSeq(p.value) ? p.value.items : [p.value];
    for (const t of targets) {
      const found = findPair(src, deref(src, t), key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
