import { isMapping, type Mapping } from '../core/mapping.js';
import { isBackend, normaliseBackend } from './backends.js';
import { varyAxes } from './grid.js';
import type { Problem } from './problems.js';
import type { DocPath } from './source.js';

/**
 * How many experiments a grid makes, computed from the lengths of the vary lists without expanding it, so
 * a grid of 10⁸ is refused at once instead of filling memory. Mirrors expandGrid: each backend of
 * vary.backend (or base_config's one backend) gets the product of the shared axes and its own axes.
 */
export function gridExperimentCount(base: Mapping, vary: Mapping): number {
  const { axes } = varyAxes(vary);
  const backendAxis = axes.find((a) => a.key === 'backend');
  const backends = backendAxis ? backendAxis.values.map(normaliseBackend) : [normaliseBackend(base['backend'])];
  let total = 0;
  for (const b of backends) {
    if (!isBackend(b)) continue;
    total += axes
      .filter((a) => a !== backendAxis && (a.backend === undefined || a.backend === b))
      .reduce((n, a) => n * a.values.length, 1);
  }
  return total;
}

/** A campaign's `cycles` as planning will use it (invalid values are the schema's to report; 1 here). */
function cyclesOf(data: Mapping): number {
  const c = data['cycles'];
  return typeof c === 'number' && Number.isInteger(c) && c > 0 ? c : 1;
}

/**
 * The problem with a campaign whose runs (experiments × cycles) exceed `maxRuns`, placed at the field to
 * change: the grid (or configs list) when it alone is too large, else `cycles`.
 */
export function planSizeProblem(
  data: Mapping,
  experiments: number,
  maxRuns: number,
  listPath: DocPath,
): Problem | undefined {
  const cycles = cyclesOf(data);
  const runs = experiments * cycles;
  if (runs <= maxRuns) return undefined;
  const limit = `more than the ${maxRuns.toLocaleString('en-US')} runs a campaign may plan (set LEM_MAX_RUNS to raise the limit)`;
  const n = (x: number): string => (Number.isFinite(x) && x < 1e15 ? x.toLocaleString('en-US') : x.toExponential(2));
  if (experiments > maxRuns) return { path: listPath, message: `this makes ${n(experiments)} experiments, ${limit}` };
  return {
    path: ['cycles'],
    message: `${n(experiments)} experiment(s) × ${n(cycles)} cycles = ${n(runs)} runs, ${limit}`,
  };
}

/** Experiments a campaign file asks for, before any is loaded: configs listed, or the grid's count. */
export function requestedExperiments(data: Mapping): { count: number; path: DocPath } | undefined {
  const { configs, base_config: base, vary } = data;
  if (Array.isArray(configs)) return { count: configs.length, path: ['configs'] };
  if (isMapping(base) && isMapping(vary)) return { count: gridExperimentCount(base, vary), path: ['vary'] };
  return undefined;
}
