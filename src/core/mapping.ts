/** A YAML/JSON mapping as plain JS: an object that is not an array (null excluded). */
export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `over` laid on `base`: mappings merge key by key at every level, anything else in `over` (a list, a
 * scalar) replaces what `base` has. Neither input is changed. Recursive: callers pass documents whose depth
 * is already bounded (config loading refuses deep nesting).
 */
export function deepMerge(base: Mapping, over: Mapping): Mapping {
  const out: Mapping = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const current = Object.hasOwn(out, k) ? out[k] : undefined;
    out[k] = isMapping(v) && isMapping(current) ? deepMerge(current, v) : v;
  }
  return out;
}

/**
 * `obj[key]` for the object's own keys only. User text becomes keys (`backend: toString`, a vary key named
 * `constructor`), and a plain lookup would find Object.prototype's members instead of nothing.
 */
export function ownValue(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}
