import { describe, expect, it } from 'vitest';
import { StoredPlan } from '../../src/campaign/stored-plan.js';

const experiment = {
  id: '0000-c1-synthetic-abc',
  index: 0,
  cycle: 1,
  backend: 'synthetic',
  config_hash: 'abc',
  config: { backend: 'synthetic' },
};

// plan.json is read with the field types of Plan (plan.ts), the one description of a plan.
describe('plan.json as read back', () => {
  it('carries fields the run does not use verbatim, and fills the defaults Plan has', () => {
    const p = StoredPlan.parse({
      campaign: { name: 'n', seed: 7 },
      experiments: [{ ...experiment, varied: { a: 1 } }],
    });
    expect(p.campaign).toEqual({
      name: 'n',
      seed: 7,
      retries: 1,
      experiment_timeout_s: 3600,
      thermal_gap_s: 0,
      force_cold_start: false,
      // A plan written before placement existed runs serially, as it did then.
      placement: 'serial',
    });
    expect(p.experiments[0]).toMatchObject({ varied: { a: 1 } });
  });

  it('refuses what Plan refuses: an id that is not a safe file name, an unknown backend, cycle 0', () => {
    for (const bad of [{ id: '../x' }, { backend: 'nope' }, { cycle: 0 }]) {
      expect(StoredPlan.safeParse({ campaign: { name: 'n' }, experiments: [{ ...experiment, ...bad }] }).success).toBe(
        false,
      );
    }
  });
});
