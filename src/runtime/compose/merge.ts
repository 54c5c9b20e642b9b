import { isMapping } from '../../core/mapping.js';
/**
 * Merging compose.gpu.yaml on top of compose.yaml with compose's override rules: mappings merge key by key,
 * `volumes` and `devices` merge by their path in the container, `cap_add`, `cap_drop`, `security_opt`,
 * `group_add` and `x-lem-secrets` are unions, `environment` and `labels` merge by name (list or map form), and
 * anything else (command, entrypoint, healthcheck.test, ...) is replaced.
 */
export function mergeComposeFiles(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out = deepMerge(base, { ...over, services: undefined }) as Record<string, unknown>;
  const a = base['services'];
  const b = over['services'];
  if (!isMapping(a) || !isMapping(b)) {
    out['services'] = b ?? a;
    return out;
  }
  const services: Record<string, unknown> = { ...a };
  for (const [name, s] of Object.entries(b)) {
    services[name] = isMapping(services[name]) && isMapping(s) ? mergeService(services[name], s) : s;
  }
  out['services'] = services;
  return out;
}

const UNION = new Set(['cap_add', 'cap_drop', 'security_opt', 'group_add', 'x-lem-secrets']);
const BY_NAME = new Set(['environment', 'labels']);

function mergeService(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    const lists = Array.isArray(prev) && Array.isArray(value);
    if (lists && UNION.has(key)) out[key] = [...new Set([...(prev as unknown[]), ...(value as unknown[])])];
    else if (lists && key === 'volumes') out[key] = byKey(prev, value, volumeTarget);
    else if (lists && key === 'devices') out[key] = byKey(prev, value, deviceTarget);
    else if (BY_NAME.has(key) && prev !== undefined && value !== null) out[key] = { ...asMap(prev), ...asMap(value) };
    else out[key] = deepMerge(prev, value);
  }
  return out;
}

function byKey(a: readonly unknown[], b: readonly unknown[], key: (v: unknown) => string): unknown[] {
  const merged = new Map<string, unknown>();
  for (const v of [...a, ...b]) merged.set(key(v), v);
  return [...merged.values()];
}

function volumeTarget(v: unknown): string {
  if (typeof v === 'string') return v.split(':')[1] ?? v;
  return isMapping(v) && typeof v['target'] === 'string' ? v['target'] : JSON.stringify(v);
}

function deviceTarget(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  const [host, container] = v.split(':');
  return container ?? host ?? v;
}

/** `["A=1", "B"]` or `{A: 1, B: null}` as a map; an entry without a value stays null (passed by name). */
function asMap(v: unknown): Record<string, unknown> {
  if (isMapping(v)) return v;
  if (!Array.isArray(v)) return {};
  const out: Record<string, unknown> = {};
  for (const item of v) {
    if (typeof item !== 'string') continue;
    const i = item.indexOf('=');
    out[i < 0 ? item : item.slice(0, i)] = i < 0 ? null : item.slice(i + 1);
  }
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isMapping(a) && isMapping(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = deepMerge(out[k], v);
    return out;
  }
  return b === undefined ? a : b;
}
