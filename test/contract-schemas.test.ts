import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractJsonSchemas, resolvedConfigExamples } from '../src/contract/schemas.js';

// The Python harness validates against the committed JSON Schemas; they must be what the zod contract says.
describe('exported contract schemas', () => {
  for (const [name, schema] of Object.entries(contractJsonSchemas())) {
    it(`${name} is up to date (run npm run export-schemas)`, () => {
      const committed = JSON.parse(readFileSync(`docker/harness/lem_harness/schemas/${name}`, 'utf8'));
      expect(committed).toEqual(schema);
    });
  }
  it("the harness tests' resolved-configs.json is what zod resolves today (run npm run export-schemas)", () => {
    const committed = JSON.parse(readFileSync('docker/harness/tests/resolved-configs.json', 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(resolvedConfigExamples())));
  });
});
