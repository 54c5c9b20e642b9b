import { z } from 'zod';
import { BACKENDS, type Backend } from '../config/backends.js';
import { ExperimentConfig } from '../config/experiment.js';
import { BatchSpec } from './batch-spec.js';
import { HarnessEvent } from './events.js';
import { ResultDocument } from './result.js';
import { RunningHarness } from './running-harness.js';

/**
 * The contract as JSON Schema, for the Python harness and its tests (generated, never hand-edited). Output mode:
 * what lem sends and what the harness writes, so a field with a zod default is required, never optional.
 */
export function contractJsonSchemas(): Record<string, unknown> {
  const output = { io: 'output' } as const;
  return {
    'batch-spec.schema.json': z.toJSONSchema(BatchSpec, output),
    'event.schema.json': z.toJSONSchema(HarnessEvent, output),
    'result.schema.json': z.toJSONSchema(ResultDocument, output),
    'running-harness.schema.json': z.toJSONSchema(RunningHarness, output),
  };
}

/**
 * A minimal experiment per backend as lem resolves it (every zod default filled in). The harness's own tests
 * build their configs from these (docker/harness/tests/resolved-configs.json), so no Python test restates a
 * default; `npm run export-schemas` rewrites the file and a test keeps it current.
 */
export function resolvedConfigExamples(): Record<Backend, ExperimentConfig> {
  const resolve = (backend: Backend) => ExperimentConfig.parse({ backend, model: { name: 'org/model' } });
  const entries = BACKENDS.map((backend) => [backend, resolve(backend)]);
  return Object.fromEntries(entries) as Record<Backend, ExperimentConfig>;
}
