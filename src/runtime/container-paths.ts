import { relative, isAbsolute, sep } from 'node:path';
import type { BindMount } from './compose-file.js';

/**
 * Where a host file appears inside a container, through its bind mounts (the most specific mount wins), or
 * undefined when no mount exposes it: the container cannot read it.
 */
export function toContainerPath(binds: readonly BindMount[], hostPath: string): string | undefined {
  let best: { bind: BindMount; rel: string } | undefined;
  for (const bind of binds) {
    const rel = relative(bind.source, hostPath);
    if (rel.startsWith('..') || isAbsolute(rel)) continue;
    if (!best || bind.source.length > best.bind.source.length) best = { bind, rel };
  }
  if (!best) return undefined;
  return best.rel === '' ? best.bind.target : `${best.bind.target.replace(/\/$/, '')}/${best.rel.split(sep).join('/')}`;
}
