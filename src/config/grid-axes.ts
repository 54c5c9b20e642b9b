/**
 * Which backends a grid expands and which of its vary axes apply (pieces of expandGrid in grid.ts): problems
 * found here are collected into the caller's list, located in the campaign document.
 */
import { err, ok, type Result } from '../core/result.js';
import { isMapping, ownValue, type Mapping } from '../core/mapping.js';
import { BACKENDS, isBackendValue as isBackend, normaliseBackend, type Backend } from './backends.js';
import type { Axis } from './grid.js';
import type { Problem } from './problems.js';
import { defaultExternalBackend } from './serve.js';
import { formatPath, type DocPath } from './source.js';

/** The first prefix of `path` that base_config sets to something other than a mapping, if any. */
function blockedPrefix(base: Mapping, path: readonly string[]): string[] | undefined {
  let node: unknown = base;
  for (let i = 0; i < path.length - 1; i++) {
    node = ownValue(node as Mapping, path[i]!);
    if (node === undefined) return undefined;
    if (!isMapping(node)) return path.slice(0, i + 1);
  }
  return undefined;
}

/** Each backend to expand, with its position in vary.backend (for locating problems); err when there is none. */
export function gridBackends(
  base: Mapping,
  backendAxis: Axis | undefined,
  basePath: DocPath,
  problems: Problem[],
): Result<{ backend: Backend; at: number }[], undefined> {
  if (backendAxis) {
    if (base['backend'] !== undefined) {
      const message = `backend is varied (${formatPath(backendAxis.source)}); remove it from base_config`;
      problems.push({ path: [...basePath, 'backend'], message });
    }
    return ok(backendAxis.values.flatMap((b, at) => (isBackend(b) ? [{ backend: b, at }] : [])));
  }
  const b = normaliseBackend((defaultExternalBackend(base) as Mapping)['backend']);
  return isBackend(b) ? ok([{ backend: b, at: 0 }]) : err(undefined);
}

/**
 * The vary axes that apply to some experiment of the campaign; an axis (or a base_config section) of a backend no
 * experiment uses, or one that cannot be set, is a problem.
 */
export function usableAxes(
  base: Mapping,
  allAxes: readonly Axis[],
  backendAxis: Axis | undefined,
  used: readonly Backend[],
  basePath: DocPath,
  problems: Problem[],
): Axis[] {
  const usedText = `this campaign's backends: ${used.join(', ')}`;
  const axes: Axis[] = [];
  for (const axis of allAxes) {
    const blocked = axis === backendAxis ? undefined : blockedPrefix(base, axis.path);
    if (axis.backend && !used.includes(axis.backend)) {
      const message = `${axis.key} is a ${axis.backend} parameter, but no experiment of this campaign uses ${axis.backend} (${usedText})`;
      problems.push({ path: axis.source, message });
    } else if (blocked) {
      problems.push({
        path: axis.source,
        message: `cannot vary ${axis.key}: base_config.${blocked.join('.')} is not a mapping`,
      });
    } else if (axis !== backendAxis) {
      axes.push(axis);
    }
  }
  for (const b of BACKENDS) {
    if (base[b] !== undefined && !used.includes(b)) {
      const message = `section "${b}" is for backend ${b}, but no experiment of this campaign uses it (${usedText})`;
      problems.push({ path: [...basePath, b], message });
    }
  }
  return axes;
}
