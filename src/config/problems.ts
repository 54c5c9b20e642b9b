import type { z } from 'zod';
import { ownValue } from '../core/mapping.js';
import { backendAlias, backendsOwningKey, isBackend } from './backends.js';
import { describeUnknownKey } from './experiment.js';
import type { DocPath } from './source.js';

/**
 * One validation problem before it is placed in a file: a path relative to the validated value and a message
 * that says what was expected. `unknownKey` marks problems about a key itself (located at the key, not a value).
 */
export interface Problem {
  readonly path: DocPath;
  readonly message: string;
  readonly unknownKey?: boolean;
}

type ZodIssue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** Short rendering of a user's value for "got ..." (long values truncated: the location shows the rest). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // JSON.stringify would say null: name what the YAML said (.inf, -.inf, .nan).
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value)
      ? 'not-a-number (.nan), which is not allowed'
      : `${value < 0 ? '-' : ''}infinity (${value < 0 ? '-' : ''}.inf), which is not allowed`;
  }
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const KIND: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function kind(expected: string): string {
  return Object.hasOwn(KIND, expected) ? KIND[expected]! : expected;
}

function bound(issue: { origin: string; inclusive?: boolean }, lower: boolean, limit: number | bigint): string {
  const op = lower ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  switch (issue.origin) {
    case 'array':
    case 'set':
      return `expected a list with ${lower ? 'at least' : 'at most'} ${limit} item(s)`;
    case 'string':
      return `expected ${lower ? 'at least' : 'at most'} ${limit} character(s)`;
    default:
      return `expected ${kind(issue.origin)} ${op} ${limit}`;
  }
}

/** zod reports int bounds with origin "number"; say "an integer" when the field is one. */
function integerAware<T extends { origin: string }>(issue: T, schema: AnySchema, path: DocPath): T {
  if (issue.origin !== 'number') return issue;
  const s = schemaAt(schema, path);
  const format = s ? def(s)['format'] : undefined;
  return typeof format === 'string' && /int/.test(format) ? { ...issue, origin: 'int' } : issue;
}

/** `name:m` where a mapping was expected: YAML read a value, because a key needs a space after its colon. */
function colonHint(expected: string, input: unknown): string {
  const mapping = expected === 'object' || expected === 'record';
  return mapping && typeof input === 'string' && /^[^\s:]+:[^\s]/.test(input)
    ? ' (a key needs ": ", a space after the colon)'
    : '';
}

/** Levenshtein distance, for "did you mean": typos are the commonest config error. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(key.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function def(schema: AnySchema): z.core.$ZodTypeDef & Record<string, unknown> {
  return schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
}

/** Strip wrappers (optional, default, pipes, transforms) to reach the schema that holds the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (
      d.type === 'optional' ||
      d.type === 'nullable' ||
      d.type === 'default' ||
      d.type === 'prefault' ||
      d.type === 'readonly' ||
      d.type === 'catch' ||
      d.type === 'nonoptional'
    ) {
      s = d['innerType'] as AnySchema;
    } else if (d.type === 'pipe') {
      const input = d['in'] as AnySchema;
      s = def(input).type === 'transform' ? (d['out'] as AnySchema) : input;
    } else {
      return s;
    }
  }
  return s;
}

/** The schema found at `path` inside `schema`, or undefined where the path leaves what the schema describes. */
export function schemaAt(schema: AnySchema, path: DocPath): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(schema);
  for (const seg of path) {
    if (!s) return undefined;
    const d = def(s);
    if (d.type === 'object' && typeof seg === 'string')
      s = ownValue(d['shape'] as object, seg) as AnySchema | undefined;
    else if (d.type === 'array' && typeof seg === 'number') s = d['element'] as AnySchema;
    else if (d.type === 'record') s = d['valueType'] as AnySchema;
    else return undefined;
    s = s ? unwrap(s) : undefined;
  }
  return s;
}

/** Field names a mapping at `path` accepts (for suggestions), if the schema there is an object. */
export function knownKeysAt(schema: AnySchema, path: DocPath): string[] {
  const s = schemaAt(schema, path);
  if (!s || def(s).type !== 'object') return [];
  return Object.keys(def(s)['shape'] as object);
}

/** Message for a key the schema does not accept; experiment-aware (backend sections, aliases, misplacement). */
function unknownKeyMessage(
  schema: AnySchema,
  parent: DocPath,
  key: string,
  experimentRoot: DocPath | undefined,
): string {
  const rel = experimentRoot && startsWith(parent, experimentRoot) ? parent.slice(experimentRoot.length) : undefined;
  if (rel && rel.length === 1 && isBackend(rel[0])) return describeUnknownKey(rel[0], key);
  if (rel && rel.length === 0) {
    const alias = backendAlias(key);
    if (alias) return `"${key}" is an alias of backend ${alias}; its parameters go in the "${alias}:" section`;
    const owners = backendsOwningKey(key);
    if (owners.length > 0)
      return `"${key}" is a ${owners.join('/')} parameter: put it under ${owners.map((o) => `"${o}:"`).join(' or ')}`;
  }
  const keys = knownKeysAt(schema, parent);
  const guess = suggest(key, keys);
  const hint = guess ? `did you mean "${guess}"?` : keys.length > 0 ? `expected one of: ${keys.join(', ')}` : '';
  return `unknown field "${key}"${hint ? ` (${hint})` : ''}`;
}

export function startsWith(path: DocPath, prefix: DocPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false;
  return true;
}

/**
 * Turn zod's issues into Problems with one clear message each. `experimentRoot` is where an experiment
 * config sits inside the validated value (e.g. [] for an experiment file), for backend-aware messages.
 * Zod is asked for `reportInput` so a missing field ("required") can be told from a wrong one ("got ...").
 */
export function problemsFromZod(issues: readonly ZodIssue[], schema: AnySchema, experimentRoot?: DocPath): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path as DocPath;
    const got = 'input' in issue && issue.input !== undefined ? `, got ${describeValue(issue.input)}` : '';
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys)
          out.push({
            path: [...path, key],
            message: unknownKeyMessage(schema, path, key, experimentRoot),
            unknownKey: true,
          });
        break;
      case 'invalid_type': {
        const expected = kind(integerAware({ origin: issue.expected }, schema, path).origin);
        out.push({
          path,
          message:
            got === ''
              ? `required field is missing (expected ${expected})`
              : `expected ${expected}${got}${colonHint(issue.expected, issue.input)}`,
        });
        break;
      }
      case 'invalid_value': {
        const expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
        out.push({
          path,
          message: got === '' ? `required field is missing (expected ${expected})` : `expected ${expected}${got}`,
        });
        break;
      }
      case 'too_small':
        out.push({ path, message: `${bound(integerAware(issue, schema, path), true, issue.minimum)}${got}` });
        break;
      case 'too_big':
        out.push({ path, message: `${bound(integerAware(issue, schema, path), false, issue.maximum)}${got}` });
        break;
      case 'invalid_union': {
        // zod says only "invalid input". If one branch accepted the value's type and failed deeper (a list
        // with a bad item), that branch is what the user meant: report its problems. Otherwise name every
        // type the field accepts. Branch issue paths are relative to the union, hence the prefixing.
        // A discriminated union whose tag (e.g. a source's type) matches no branch: name the tags it accepts.
        const tagged = issue as { discriminator?: string; options?: readonly unknown[] };
        if (issue.errors.length === 0 && tagged.discriminator !== undefined && tagged.options) {
          const tag = (issue.input as Record<string, unknown> | null | undefined)?.[tagged.discriminator];
          const expected = `one of ${tagged.options.map((v) => JSON.stringify(v)).join(', ')}`;
          const message =
            tag === undefined
              ? `required field is missing (expected ${expected})`
              : `expected ${expected}, got ${describeValue(tag)}`;
          out.push({ path, message });
          break;
        }
        const deeper = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
        if (deeper) {
          const rebased = deeper.map((i) => ({ ...i, path: [...path, ...i.path] }));
          out.push(...problemsFromZod(rebased, schema, experimentRoot));
        } else {
          const kinds = issue.errors.flatMap((branch) =>
            branch.filter((i) => i.code === 'invalid_type').map((i) => kind((i as { expected: string }).expected)),
          );
          out.push({
            path,
            message: kinds.length > 0 ? `expected ${[...new Set(kinds)].join(' or ')}${got}` : `${issue.message}${got}`,
          });
        }
        break;
      }
      case 'custom':
        // Our own checks write complete sentences.
        out.push({ path, message: issue.message });
        break;
      default:
        out.push({ path, message: `${issue.message}${got}` });
    }
  }
  return out;
}
