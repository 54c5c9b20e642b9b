import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateResult } from '../../src/contract/result-migrate.js';
import { servingPoints } from '../../src/results/report/serving-charts.js';

/** A serve result as written before lem-started servers existed: no source, baseline or steady J/request fields. */
const OLD = join(import.meta.dirname, '..', 'fixtures', 'serve-result-v4-external.json');

describe('serve results written before the lem-started energy fields', () => {
  it('still validate, and the report places them (with no energy)', () => {
    const raw: unknown = JSON.parse(readFileSync(OLD, 'utf8'));
    const energy = (raw as { serving: { energy: Record<string, unknown> } }).serving.energy;
    expect(Object.keys(energy)).not.toContain('steady_j_per_request');
    const doc = migrateResult(raw);
    if (!doc.ok) throw new Error(doc.error);
    expect(doc.value.serving!.energy.steady_j_per_request).toBeUndefined();
    const points = servingPoints([{ doc: doc.value, path: OLD } as Parameters<typeof servingPoints>[0][number]]);
    expect(points).toHaveLength(1);
    expect(points[0]!.jPerOutputToken).toBeNull();
  });
});
