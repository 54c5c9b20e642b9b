import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractJsonSchemas } from './schemas.js';

// `npm run export-schemas`: regenerate docker/harness/lem_harness/schemas/ from the zod contract.
const dir = process.argv[2] ?? 'docker/harness/lem_harness/schemas';
mkdirSync(dir, { recursive: true });
for (const [name, schema] of Object.entries(contractJsonSchemas())) {
  writeFileSync(join(dir, name), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${join(dir, name)}`);
}
