import { z } from 'zod';
import {
  EnergyV3,
  Environment,
  Experiment,
  GpuUsage,
  Latency,
  Power,
  SamplerV3,
  Thermal,
  Throughput,
  Timing,
  Tokens,
  WarmupV3,
} from './result.js';

/**
 * Result schema version 3, as harnesses before version 4 wrote it. `gpu_usage` is optional because version 3 gained
 * it in place, without a version bump: results written before that (the project's own docs/validation/raw) lack it.
 * Read only to migrate (result-migrate.ts); nothing writes version 3 any more.
 */
export const ResultDocumentV3 = z.strictObject({
  schema_version: z.literal(3),
  simulated: z.boolean(),
  experiment: Experiment,
  environment: Environment,
  timing: Timing,
  tokens: Tokens,
  throughput: Throughput,
  latency: Latency,
  energy: EnergyV3,
  power: Power,
  thermal: Thermal,
  warmup: WarmupV3,
  sampler: SamplerV3,
  gpu_usage: GpuUsage.optional(),
  warnings: z.array(z.string()),
  files: z.strictObject({ samples_csv: z.string().nullable() }),
});
export type ResultDocumentV3 = z.infer<typeof ResultDocumentV3>;
