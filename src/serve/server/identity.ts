import type { ExperimentConfig } from '../../config/experiment.js';
import { isMapping } from '../../core/mapping.js';

/**
 * What makes two lem-started servers the same server: the backend, the model and the backend's section (every
 * engine parameter). Load, SLOs and the server's readiness timeout are not part of it: experiments differing only in
 * those reuse the running server (one model load).
 */
export function serverParams(c: ExperimentConfig): Record<string, unknown> {
  const section = c.backend === 'external' ? undefined : c[c.backend];
  return { backend: c.backend, model: c.model, [c.backend]: section ?? {} };
}

/** A stable identity for serverParams: equal strings mean the running server can be reused. */
export function serverKey(c: ExperimentConfig): string {
  return canonical(serverParams(c));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isMapping(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Dotted paths whose values differ between two parameter sets, with both values: why a server restarts. */
export function paramsDiff(a: unknown, b: unknown, path = ''): string[] {
  if (isMapping(a) && isMapping(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => paramsDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (canonical(a) === canonical(b)) return [];
  return [`${path}: ${JSON.stringify(a) ?? 'unset'} -> ${JSON.stringify(b) ?? 'unset'}`];
}
