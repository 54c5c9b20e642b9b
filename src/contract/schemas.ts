import { z } from 'zod';
import { BatchSpec } from './batch-spec.js';
import { HarnessEvent } from './events.js';
import { ResultDocument } from './result.js';

/** The contract as JSON Schema, for the Python harness and its tests (generated, never hand-edited). */
export function contractJsonSchemas(): Record<string, unknown> {
  return {
    'batch-spec.schema.json': z.toJSONSchema(BatchSpec),
    'event.schema.json': z.toJSONSchema(HarnessEvent),
    'result.schema.json': z.toJSONSchema(ResultDocument),
  };
}
