import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal configs serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Stable identity of a resolved config across cycles and campaigns (first 12 hex digits of SHA-256). */
export function configHash(resolved: unknown): string {
  return createHash('sha256').update(canonicalJson(resolved)).digest('hex').slice(0, 12);
}
