import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode } from 'yaml';

/** A problem with the shape of a parsed document, at a source offset. */
export interface StructureProblem {
  readonly offset: number;
  readonly message: string;
}

const start = (node: unknown, fallback: number): number =>
  (node as YamlNode | null | undefined)?.range?.[0] ?? fallback;

/** Why a mapping key is refused, if it is: every key must be a name that survives becoming a JS object key. */
function keyProblem(key: unknown): string | undefined {
  if (key === null || key === undefined) return 'a key is missing before the ":"';
  if (!isScalar(key)) return 'a key must be a plain name, not a list or a mapping';
  if (key.value === null) {
    const written = key.source === '' ? 'an empty key' : `"${String(key.source ?? 'null')}"`;
    return `${written} is not a usable key (YAML reads it as null): write a field name, or quote it ("null":) if you mean the word`;
  }
  if (key.value === '__proto__')
    return '"__proto__" cannot be used as a key (JavaScript would treat it as the object\'s prototype)';
  return undefined;
}

/**
 * Walks the parsed document without recursion (a hostile file may nest thousands of levels) and reports
 * keys lem cannot honour and nesting deeper than `maxDepth`. Aliases are not followed here: see
 * nestingDepthOver for the expanded value.
 */
export function structureProblems(doc: Document.Parsed, maxDepth: number): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0 && problems.length < 20) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node) || !(isMap(node) || isSeq(node))) continue;
    if (depth >= maxDepth) {
      problems.push({
        offset: start(node, 0),
        message: `nested more than ${maxDepth} levels deep: a config never needs that many`,
      });
      break;
    }
    if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
      continue;
    }
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const why = keyProblem(pair.key);
      if (why !== undefined)
        problems.push({ offset: start(pair.key, start(pair.value, start(node, 0))), message: why });
      stack.push({ node: pair.value, depth: depth + 1 });
    }
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

/**
 * Whether a plain JS value (after aliases are expanded) nests deeper than `maxDepth`; iterative, and each
 * shared object (an alias used many times) is measured once.
 */
export function nestingDepthOver(value: unknown, maxDepth: number): boolean {
  const height = new Map<object, number>();
  const stack: { node: object; expanded: boolean }[] = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value, expanded: false });
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const children = Object.values(top.node).filter((v): v is object => v !== null && typeof v === 'object');
    if (!top.expanded) {
      top.expanded = true;
      // Deeper than the limit on the stack itself: no need to finish measuring.
      if (stack.length > maxDepth) return true;
      for (const c of children) if (!height.has(c)) stack.push({ node: c, expanded: false });
      continue;
    }
    stack.pop();
    const h = 1 + children.reduce((m, c) => Math.max(m, height.get(c) ?? 0), 0);
    if (h > maxDepth) return true;
    height.set(top.node, h);
  }
  return false;
}

export function lineOf(lc: LineCounter, offset: number): { line: number; column: number } {
  const p = lc.linePos(offset);
  return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
}
