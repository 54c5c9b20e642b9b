import type { CollectedResult } from './collect.js';

/**
 * Results whose validity checks failed (the harness's `validity` block: window under 10 s, sparse samples, counter and
 * integral apart, too hot, throttled, a drifting baseline) are left out of aggregate, report and compare unless the
 * user asks for them (--include-invalid); either way they are listed with their reasons. Results migrated from
 * schema v3 were never checked: they are kept and counted as "not assessed".
 */
export interface InvalidResult {
  path: string;
  experiment_id: string;
  cycle: number;
  reasons: string[];
  /** True when --include-invalid kept it in the statistics. */
  included: boolean;
}

export interface ValidityPartition {
  kept: CollectedResult[];
  invalid: InvalidResult[];
  /** Kept results whose validity was never assessed (schema v3). */
  not_assessed: number;
}

export function partitionByValidity(results: readonly CollectedResult[], includeInvalid: boolean): ValidityPartition {
  const kept: CollectedResult[] = [];
  const invalid: InvalidResult[] = [];
  let notAssessed = 0;
  for (const r of results) {
    const v = r.doc.validity;
    if (!v.assessed) notAssessed++;
    if (v.valid || includeInvalid) kept.push(r);
    if (!v.valid) {
      const e = r.doc.experiment;
      const reasons = v.reasons.length > 0 ? [...v.reasons] : ['marked invalid'];
      invalid.push({ path: r.path, experiment_id: e.experiment_id, cycle: e.cycle, reasons, included: includeInvalid });
    }
  }
  return { kept, invalid, not_assessed: notAssessed };
}

/** One line per invalid result, for the commands' text output. */
export function invalidLines(invalid: readonly InvalidResult[], limit = 20): string[] {
  const lines = invalid.slice(0, limit).map((x) => `  ${x.path}: ${x.reasons.join('; ')}`);
  if (invalid.length > limit) lines.push(`  … and ${invalid.length - limit} more (see summary.json)`);
  return lines;
}
