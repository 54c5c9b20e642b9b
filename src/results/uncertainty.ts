import type { ResultDocument } from '../contract/result.js';

/**
 * The uncertainty budget of a configuration's mean J/output token across cycles (docs/metrics.md). Each result
 * carries its own budget (sensor accuracy, counter update period and resolution, counter-vs-integral gap, as
 * relative half-widths); across results each component is averaged, and the cycle-to-cycle spread is added as the
 * bootstrap CI's relative half-width. Components are combined as a root sum of squares. With fewer than 3 cycles
 * the spread comes from a [min, max] interval and the budget is flagged unreliable; with 1 cycle it has no spread.
 */
export interface BudgetComponent {
  name: string;
  relative: number;
}

export interface ConfigUncertainty {
  mean: number;
  components: BudgetComponent[];
  combined_relative: number;
  low: number;
  high: number;
  /** Results that carried a per-result budget (v3 results have none and are not in these components). */
  results_with_budget: number;
  /** False when the cycle spread rests on fewer than 3 cycles (or is missing): the interval understates. */
  reliable: boolean;
}

export const MIN_RELIABLE_CYCLES = 3;

export function rss(relatives: readonly number[]): number {
  return Math.sqrt(relatives.reduce((acc, r) => acc + r * r, 0));
}

/**
 * mean: the configuration's mean J/output token; ci: its bootstrap CI over n cycles (null when n < 2).
 * Returns null when no result carried a budget or the mean is missing.
 */
export function configUncertainty(
  docs: readonly ResultDocument[],
  mean: number | null,
  ci: { low: number; high: number; n: number } | null,
): ConfigUncertainty | null {
  type Budget = NonNullable<ResultDocument['uncertainty']>;
  const budgets = docs.map((d) => d.uncertainty).filter((u): u is Budget => u !== null);
  if (mean === null || mean === 0 || budgets.length === 0) return null;
  const sums = new Map<string, { total: number; count: number }>();
  for (const b of budgets) {
    for (const c of b.components) {
      const s = sums.get(c.name) ?? { total: 0, count: 0 };
      s.total += c.relative;
      s.count += 1;
      sums.set(c.name, s);
    }
  }
  const components: BudgetComponent[] = [...sums].map(([name, s]) => ({ name, relative: s.total / s.count }));
  if (ci !== null) components.push({ name: 'cycle_spread', relative: (ci.high - ci.low) / 2 / Math.abs(mean) });
  const combined = rss(components.map((c) => c.relative));
  return {
    mean,
    components,
    combined_relative: combined,
    low: mean * (1 - combined),
    high: mean * (1 + combined),
    results_with_budget: budgets.length,
    reliable: ci !== null && ci.n >= MIN_RELIABLE_CYCLES,
  };
}

/** Two intervals share at least one point. */
export function overlaps(a: { low: number; high: number }, b: { low: number; high: number }): boolean {
  return a.low <= b.high && b.low <= a.high;
}
