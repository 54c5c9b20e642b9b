import { hash } from 'node:crypto';

/**
 * Canonical text of each object already serialised. Resolved configs of a grid share their unchanged sections
 * by reference (see createExperimentValidator), so a section is serialised once, not once per experiment.
 * Values are never mutated after resolution, which is what makes caching by identity sound.
 */
const canonicalCache = new WeakMap<object, string>();

/** JSON with object keys sorted at every level, so equal configs serialise identically. */
export function canonicalJson(value: unknown): string {
  return canonical(value) as string;
}

// Same output as JSON.stringify of a key-sorted copy: undefined, functions and symbols are dropped from
// objects and become null in arrays; a test checks the equivalence on random values.
function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const cached = canonicalCache.get(value);
  if (cached !== undefined) return cached;
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v: unknown) => canonical(v) ?? 'null').join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of sortedKeys(record)) {
      const v = canonical(record[k]);
      if (v !== undefined) parts.push(`${JSON.stringify(k)}:${v}`);
    }
    out = `{${parts.join(',')}}`;
  }
  canonicalCache.set(value, out);
  return out;
}

/**
 * Keys in the order JSON.stringify writes a key-sorted copy: array-index keys ("0", "12") always come first in
 * numeric order (JavaScript enumerates them so, and Object.keys already lists them first), then the rest sorted.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  let i = 0;
  while (i < keys.length && isArrayIndex(keys[i]!)) i++;
  return i === 0 ? keys.sort() : [...keys.slice(0, i), ...keys.slice(i).sort()];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 4294967295;
}

/** Stable identity of a resolved config across cycles and campaigns (first 12 hex digits of SHA-256). */
export function configHash(resolved: unknown): string {
  const text = canonicalJson(resolved);
  // crypto.hash is the one-shot form of createHash (Node >= 21.7): much cheaper for many short inputs.
  return hash('sha256', text, 'hex').slice(0, 12);
}
