import { err, ok, type Result } from '../core/result.js';
import { deepMerge, isMapping, ownValue, type Mapping } from '../core/mapping.js';
import { backendAlias, BACKENDS, isBackendValue as isBackend, normaliseBackend, type Backend } from './backends.js';
import type { ExperimentConfig } from './experiment.js';
import { configHash } from './hash.js';
import { describeValue, startsWith, type Problem } from './problems.js';
import { createExperimentValidator, finishExperiment, validateExperiment, type ResolveOptions } from './resolve.js';
import { formatPath, type DocPath } from './source.js';
import { gridBackends, usableAxes } from './grid-axes.js';

/** One experiment of a campaign, resolved: what the planner orders and the runner dispatches. */
export interface ExpandedExperiment {
  readonly backend: Backend;
  readonly config: ExperimentConfig;
  readonly config_hash: string;
  /** The values this experiment was given by `vary`, by dotted path (empty for mode-1 experiments). */
  readonly varied: Readonly<Record<string, unknown>>;
  /** The experiment file it was loaded from (mode 1). */
  readonly source?: string;
}

/** One varied field: the list of values under one `vary` key. */
export interface Axis {
  /** Dotted path in the experiment config, e.g. "batching.batch_size"; the key in `varied`. */
  readonly key: string;
  readonly path: readonly string[];
  readonly values: readonly unknown[];
  /** Where the list is written in the campaign document, e.g. ["vary", "batching", "batch_size"]. */
  readonly source: DocPath;
  /** The backend whose section holds the field; absent when it applies to every backend. */
  readonly backend?: Backend;
}

export interface GridOptions extends ResolveOptions {
  /** Where base_config and vary sit in the campaign document (for problem paths). */
  readonly basePath?: DocPath;
  readonly varyPath?: DocPath;
}

const BACKEND_LIST = `${BACKENDS.join(', ')} (pytorch = transformers)`;

/**
 * Flatten `vary` into axes. Dotted keys and nested mappings are the same thing (`batching.batch_size: [..]`
 * and `batching: {batch_size: [..]}`); a list is always a leaf, so a list of mappings varies a whole block.
 */
export function varyAxes(vary: Mapping, varyPath: DocPath = ['vary']): { axes: Axis[]; problems: Problem[] } {
  const axes: Axis[] = [];
  const problems: Problem[] = [];
  const walk = (node: Mapping, prefix: readonly string[], src: DocPath): void => {
    for (const [rawKey, value] of Object.entries(node)) {
      const source = [...src, rawKey];
      const segments = rawKey.split('.');
      if (segments.some((s) => s === '')) {
        problems.push({
          path: source,
          message: `"${rawKey}" is not a field path (empty segment between dots)`,
          unknownKey: true,
        });
        continue;
      }
      const path = [...prefix, ...segments];
      if (Array.isArray(value)) {
        // An empty list would silently remove every experiment of the grid: say so instead.
        if (value.length === 0)
          problems.push({
            path: source,
            message: 'empty list: give at least one value (a fixed value belongs in base_config)',
          });
        else {
          const axis = axisFor(path, value, source, problems);
          if (axis) axes.push(axis);
        }
      } else if (isMapping(value) && Object.keys(value).length > 0) {
        walk(value, path, source);
      } else {
        problems.push({
          path: source,
          message: `expected a list of values to sweep, got ${describeValue(value)} (a value every experiment shares belongs in base_config)`,
        });
      }
    }
  };
  walk(vary, [], varyPath);

  // The same field varied twice (or a block and a field inside it) would make values overwrite each other;
  // the later one is reported and left out, so the rest of the grid can still be checked.
  const kept: Axis[] = [];
  for (const b of axes) {
    const a = kept.find((k) => startsWith(k.path, b.path) || startsWith(b.path, k.path));
    if (a)
      problems.push({
        path: b.source,
        message: `${b.key} overlaps ${a.key}, varied at ${formatPath(a.source)}: vary each field once`,
      });
    else kept.push(b);
  }
  return { axes: kept, problems };
}

/** The axis for one vary list; undefined (with a problem recorded) when the key cannot be varied. */
function axisFor(
  path: readonly string[],
  values: readonly unknown[],
  source: DocPath,
  problems: Problem[],
): Axis | undefined {
  const key = path.join('.');
  const head = path[0]!;
  if (head === 'backend') {
    if (path.length > 1) {
      problems.push({
        path: source,
        message: 'backend is a single value: vary it as a list, e.g. backend: [pytorch, vllm]',
      });
      return undefined;
    }
    const normalised = values.map(normaliseBackend);
    normalised.forEach((b, i) => {
      if (!isBackend(b))
        problems.push({
          path: [...source, i],
          message: `expected one of ${BACKEND_LIST}, got ${describeValue(values[i])}`,
        });
    });
    return { key, path, values: normalised, source };
  }
  const alias = backendAlias(head);
  if (alias) {
    problems.push({
      path: source,
      message: `"${head}" is an alias of backend ${alias}; vary its parameters as ${[alias, ...path.slice(1)].join('.')}`,
      unknownKey: true,
    });
    return undefined;
  }
  return isBackend(head) ? { key, path, values, source, backend: head } : { key, path, values, source };
}

/** A copy of `obj` with `value` at `path`, copying only the nodes on the path (the rest is shared). */
function setIn(obj: Mapping, path: readonly string[], value: unknown, i = 0): Mapping {
  const key = path[i]!;
  const current = ownValue(obj, key);
  if (i === path.length - 1) {
    // A mapping value fills in the block it replaces, so varying `model: [{name: a}]` keeps base's precision.
    return { ...obj, [key]: isMapping(value) && isMapping(current) ? deepMerge(current, value) : value };
  }
  return { ...obj, [key]: setIn(isMapping(current) ? current : {}, path, value, i + 1) };
}

/**
 * Backend-aware cartesian product of `vary` over `base`.
 *
 * - `vary.backend` routes: each listed backend gets its own sub-grid (base_config.backend must then be absent).
 * - An axis inside a backend section (`vllm.max_num_seqs`, or `vllm: {max_num_seqs: [..]}`) multiplies only
 *   that backend's experiments, and base_config sections apply only to their backend: no experiment ever
 *   receives another backend's keys. An axis or section for a backend the campaign does not run is an error,
 *   never a silently dropped value.
 * - Order: backends in the order listed; within one, the product in the order the keys are written, the last
 *   key varying fastest. Count per backend = product of the lengths of the common axes and its own axes.
 *
 * Problems carry paths in the campaign document (base_config..., vary...[i]) so they can be located.
 */
export function expandGrid(
  base: Mapping,
  vary: Mapping,
  options: GridOptions = {},
): Result<ExpandedExperiment[], Problem[]> {
  const basePath = options.basePath ?? ['base_config'];
  const varyPath = options.varyPath ?? ['vary'];
  // Problems are collected, not returned at the first one: a single run of `lem config validate` should list
  // everything wrong with the grid. What is broken is left out and the rest is still expanded and checked.
  const { axes: allAxes, problems } = varyAxes(vary, varyPath);
  const atBase = (p: Problem): Problem => ({ ...p, path: [...basePath, ...p.path] });

  const backendAxis = allAxes.find((a) => a.key === 'backend');
  const resolved = gridBackends(base, backendAxis, basePath, problems);
  if (!resolved.ok) {
    // Without a backend nothing can be routed: report what validating base_config alone finds.
    const v = validateExperiment(base);
    return err([
      ...problems,
      ...(v.ok
        ? [{ path: [...basePath, 'backend'], message: `expected one of ${BACKEND_LIST}` }]
        : v.error.map(atBase)),
    ]);
  }
  const backends = resolved.value;
  const axes = usableAxes(base, allAxes, backendAxis, [...new Set(backends.map((b) => b.backend))], basePath, problems);

  const experiments: ExpandedExperiment[] = [];
  // Grid experiments differ in a few fields only: validate each distinct field value once.
  const validate = createExperimentValidator();
  const seen = new Map<string, Problem>();
  const report = (p: Problem): void => {
    const k = `${formatPath(p.path)}\0${p.message}`;
    if (!seen.has(k)) seen.set(k, p);
  };
  problems.forEach(report);

  for (const { backend, at } of backends) {
    // This backend's base: its own section only, other backends' sections removed (they apply elsewhere).
    const own: Mapping = { backend };
    for (const [k, v] of Object.entries(base)) {
      if (k !== 'backend' && !(isBackend(k) && k !== backend)) own[k] = v;
    }
    const mine = axes.filter((a) => a.backend === undefined || a.backend === backend);
    const chosen = new Array<number>(mine.length).fill(0);

    // Where a problem in a generated experiment comes from: the vary entry that set the field, else base_config.
    const origin = (p: Problem): Problem => {
      if (backendAxis && p.path[0] === 'backend') return { ...p, path: [...backendAxis.source, at] };
      for (let i = 0; i < mine.length; i++) {
        const a = mine[i]!;
        if (!startsWith(p.path, a.path)) continue;
        if (p.unknownKey && p.path.length === a.path.length) return { ...p, path: a.source };
        return { ...p, path: [...a.source, chosen[i]!, ...p.path.slice(a.path.length)] };
      }
      return atBase(p);
    };

    const leaf = (input: Mapping): void => {
      const v = validate(input);
      if (!v.ok) return v.error.forEach((p) => report(origin(p)));
      const done = finishExperiment(v.value, options);
      if (!done.ok) return done.error.forEach((p) => report(origin(p)));
      if (seen.size > 0) return; // the result is an error anyway: skip hashing
      const varied: Mapping = {};
      if (backendAxis) varied['backend'] = backend;
      for (let i = 0; i < mine.length; i++) varied[mine[i]!.key] = mine[i]!.values[chosen[i]!];
      experiments.push({ backend, config: done.value, config_hash: configHash(done.value), varied });
    };

    // Depth-first product: each level copies only the path it sets, so siblings share the rest of the input.
    const walk = (i: number, input: Mapping): void => {
      if (seen.size >= 200) return; // a bad value repeats across the grid; 200 distinct problems is plenty
      if (i === mine.length) return leaf(input);
      const axis = mine[i]!;
      for (let k = 0; k < axis.values.length; k++) {
        chosen[i] = k;
        walk(i + 1, setIn(input, axis.path, axis.values[k]));
      }
    };
    walk(0, own);
  }
  return seen.size > 0 ? err([...seen.values()]) : ok(experiments);
}
