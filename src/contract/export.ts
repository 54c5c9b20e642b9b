import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractJsonSchemas, resolvedConfigExamples } from './schemas.js';

// `npm run export-schemas`: regenerate docker/harness/lem_harness/schemas/ from the zod contract, and the resolved
// example configs the harness's tests start from.
const dir = process.argv[2] ?? 'docker/harness/lem_harness/schemas';
const examples = process.argv[3] ?? 'docker/harness/tests/resolved-configs.json';
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(contractJsonSchemas())) {
  writeFileSync(join(dir, name), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${join(dir, name)}`);
}
writeFileSync(examples, JSON.stringify(resolvedConfigExamples(), null, 2) + '\n');
console.log(`wrote ${examples}`);
