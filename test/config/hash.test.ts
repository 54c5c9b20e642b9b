import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, configHash } from '../../src/config/hash.js';

/** The definition canonicalJson must keep to: JSON.stringify of a copy with keys sorted at every level. */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      // A null-prototype copy, so a "__proto__" key stays an own key (as in parsed JSON/YAML) instead of
      // setting the copy's prototype.
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const k of Object.keys(v).sort())
        if ((v as Record<string, unknown>)[k] !== undefined) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

describe('canonicalJson', () => {
  it('equals JSON.stringify of a key-sorted copy, for any JSON-like value', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.object({
        values: [
          fc.constant(undefined),
          fc.double(),
          fc.string(),
          fc.constant(null),
          fc.array(fc.option(fc.integer(), { nil: undefined })),
        ],
      }),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on key order, and shared sub-objects serialise the same each time', () => {
    const shared = { b: 1, a: [2, { d: 3, c: 4 }] };
    expect(canonicalJson({ x: shared, y: shared })).toBe(
      '{"x":{"a":[2,{"c":4,"d":3}],"b":1},"y":{"a":[2,{"c":4,"d":3}],"b":1}}',
    );
    expect(canonicalJson({ y: 1, x: 2 })).toBe(canonicalJson({ x: 2, y: 1 }));
  });

  it('configHash is the first 12 hex digits of SHA-256 of the canonical JSON', () => {
    const c = { model: { name: 'm' }, backend: 'vllm' };
    expect(configHash(c)).toBe(
      createHash('sha256').update('{"backend":"vllm","model":{"name":"m"}}').digest('hex').slice(0, 12),
    );
  });
});
