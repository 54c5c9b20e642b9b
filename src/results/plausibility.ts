import type { ResultDocument } from '../contract/result.js';

/**
 * Checks a result beyond its schema, before any of its numbers reach a statistic. A hostile or corrupted file can be
 * schema-valid and still poison a table: a negative J/token ranks "best", a value near the float limit overflows a
 * mean or a squared deviation to Infinity, which prints as n/a and can still be named best. Such a result is skipped
 * with the reason, like any other invalid file.
 */

/** Deeper than any result lem writes (config sections nest about 5 levels); deeper is corrupt or hostile. */
export const MAX_NESTING = 64;
/**
 * No measurement of one inference run comes near 1e15 (joules, tokens/s, milliseconds, watts): ten orders of
 * magnitude above real values. Larger magnitudes are corrupt, and their squares already overflow a double.
 */
export const MAX_PLAUSIBLE = 1e15;

/** Sections holding measured numbers; all of them are counts, times, rates, energies or fractions: never negative. */
const MEASURED = [
  'timing',
  'tokens',
  'throughput',
  'latency',
  'energy',
  'power',
  'thermal',
  'warmup',
  'sampler',
  'gpu_usage',
] as const;
/** Signed by definition: (integrated - counter) / counter. */
const SIGNED = new Set(['energy.disagreement_pct']);
const SHOWN = 3;

/** True when the parsed JSON value nests deeper than `limit` (walked with an explicit stack: no recursion). */
export function nestingExceeds(value: unknown, limit = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Why a schema-valid result's numbers cannot be used; empty when they can. */
export function metricProblems(doc: ResultDocument): string[] {
  const problems: string[] = [];
  for (const section of MEASURED) walkNumbers(doc[section], section, problems);
  return problems.sort();
}

/** The reason line for a result with problems: the first few, and how many more. */
export function metricProblemsReason(problems: readonly string[]): string {
  const more = problems.length > SHOWN ? ` (+${problems.length - SHOWN} more)` : '';
  return `invalid metrics: ${problems.slice(0, SHOWN).join('; ')}${more}`;
}

function walkNumbers(value: unknown, path: string, problems: string[]): void {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'number') {
      const problem = numberProblem(v, p);
      if (problem) problems.push(problem);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) stack.push([child, `${p}.${k}`]);
    }
  }
}

function numberProblem(x: number, path: string): string | null {
  if (!Number.isFinite(x)) return `${path} is ${x}`;
  if (x < 0 && !SIGNED.has(path)) return `${path} is negative (${x})`;
  if (Math.abs(x) > MAX_PLAUSIBLE) return `${path} is ${x}, beyond any real measurement (limit ${MAX_PLAUSIBLE})`;
  return null;
}
