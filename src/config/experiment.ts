import { z } from 'zod';
import { MeterSources } from '../meters/sources-config.js';
import {
  BACKEND_SECTIONS,
  BACKENDS,
  Backend,
  backendsOwningKey,
  isBackendValue,
  normaliseBackend,
  type EngineBackend,
} from './backends.js';
import { defaultExternalBackend, resolveServeFields, serveFields, serveProblems } from './serve.js';

export const Precision = z.enum(['fp32', 'fp16', 'bf16']);

export const ModelSection = z.strictObject({
  /** Hub name or a local path inside the container. */
  name: z.string().min(1),
  fp_precision: Precision.default('bf16'),
  revision: z.string().optional(),
  quantization: z.string().optional(),
});

export const BatchingSection = z.strictObject({
  batch_size: z.int().positive().default(1),
  strategy: z.enum(['static', 'dynamic', 'sorted']).default('static'),
});

export const DECODER_PRESETS = {
  deterministic: { temperature: 0, top_p: 1, top_k: 0, repetition_penalty: 1 },
  standard: { temperature: 1, top_p: 0.95, top_k: 50, repetition_penalty: 1 },
  creative: { temperature: 0.9, top_p: 0.95, top_k: 0, repetition_penalty: 1.1 },
  factual: { temperature: 0.3, top_p: 0.9, top_k: 40, repetition_penalty: 1.05 },
} as const;

const DecoderPreset = z.enum(['deterministic', 'standard', 'creative', 'factual']);
const decoderValues = {
  temperature: z.number().nonnegative(),
  top_p: z.number().gt(0).lte(1),
  top_k: z.int().nonnegative(),
  repetition_penalty: z.number().positive(),
};

/** The decoder as the harness receives it: every value filled in, the preset (or null) kept for the record. */
export const ResolvedDecoder = z.strictObject({ preset: DecoderPreset.nullable(), ...decoderValues });

export const DecoderSection = z
  .strictObject({
    // null is what the resolved config says when no preset was named: accepting it keeps parsing idempotent
    // (a resolved config, e.g. from a stored plan, validates again unchanged).
    preset: DecoderPreset.nullable().optional(),
    temperature: decoderValues.temperature.optional(),
    top_p: decoderValues.top_p.optional(),
    top_k: decoderValues.top_k.optional(),
    repetition_penalty: decoderValues.repetition_penalty.optional(),
  })
  // A preset fills what the user left out; explicit values win, so the resolved config is complete.
  .transform((d) => {
    const base = DECODER_PRESETS[d.preset ?? 'deterministic'];
    return {
      preset: d.preset ?? null,
      temperature: d.temperature ?? base.temperature,
      top_p: d.top_p ?? base.top_p,
      top_k: d.top_k ?? base.top_k,
      repetition_penalty: d.repetition_penalty ?? base.repetition_penalty,
    };
  })
  // The output's own schema, so the resolved config can be exported as JSON Schema for the harness.
  .pipe(ResolvedDecoder);

export const PromptsSection = z
  .strictObject({
    source: z.enum(['builtin', 'file']).default('builtin'),
    /** Built-in prompt set category. */
    category: z.enum(['short', 'medium', 'long']).default('medium'),
    /** JSONL file (one {"prompt": "..."} per line), required when source is file. */
    file: z.string().optional(),
    count: z.int().positive().default(32),
    /** Truncate or pad prompts to this many input tokens (engine tokenizer); absent keeps them as they are. */
    input_length: z.int().positive().optional(),
  })
  .check((ctx) => {
    if (ctx.value.source === 'file' && !ctx.value.file) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['file'],
        message: 'prompts.file is required when prompts.source is "file"',
      });
    }
  });

export const WarmupSection = z.strictObject({
  max_runs: z.int().positive().default(20),
  cv_threshold: z.number().positive().default(0.05),
  window: z.int().min(2).default(5),
  min_runs: z.int().nonnegative().default(3),
  /** Fit every prompt to the longest one and top up the last batch, so every batch has one shape (one warmup). */
  pad_to_fixed_shape: z.boolean().default(false),
});

export const MeasurementSection = z.strictObject({
  sample_interval_ms: z.int().min(10).max(10_000).default(100),
  /** 0 disables the sampler (used to measure its own overhead). */
  sampling: z.boolean().default(true),
  /** NVML sweeps from a separate sampling process (default) or a thread of the harness: docs/metrics.md says why. */
  sampler: z.enum(['thread', 'process']).default('process'),
  /** Every sweep reads energy and power; every k-th also clocks, temperature, memory, utilisation, pstate, reasons. */
  slow_fields_every: z.int().min(1).max(1000).default(10),
  /** loaded_idle baseline: seconds of idle with the engine loaded, before warmup (0 skips it). */
  idle_baseline_s: z.number().nonnegative().default(10),
  /** device_idle baseline: seconds of idle before the batch's first engine load, no CUDA context (0 skips it). */
  device_idle_s: z.number().nonnegative().default(10),
  /** The baseline adjusted energy subtracts; both are measured and reported. */
  baseline: z.enum(['loaded_idle', 'device_idle']).default('loaded_idle'),
  /**
   * Where GPU energy is measured, whole passes over the prompts are repeated until the window is at least this
   * long (ML.ENERGY's 30 s steady state); a window under 10 s is invalid whatever this says.
   */
  min_measure_s: z.number().nonnegative().default(30),
  warmup: WarmupSection.default(WarmupSection.parse({})),
  /** Meters besides the GPU's NVML counter (RAPL, a PDU over SNMP, imported logs); see docs/meters.md. */
  sources: MeterSources,
});

const sectionFields = Object.fromEntries(BACKENDS.map((b) => [b, BACKEND_SECTIONS[b].optional()])) as {
  [K in EngineBackend]: z.ZodOptional<(typeof BACKEND_SECTIONS)[K]>;
};

/** The fields of an experiment config, each with its own schema (composed into ExperimentConfig below). */
export const ExperimentFields = z.strictObject({
  name: z.string().optional(),
  backend: z.preprocess(normaliseBackend, Backend),
  model: ModelSection,
  max_output_tokens: z.int().positive().default(128),
  batching: BatchingSection.default(BatchingSection.parse({})),
  decoder: DecoderSection.default(DecoderSection.parse({})),
  prompts: PromptsSection.default(PromptsSection.parse({})),
  measurement: MeasurementSection.default(MeasurementSection.parse({})),
  force_cold_start: z.boolean().default(false),
  ...serveFields,
  /**
   * GPUs the experiment needs with `placement: pack`: a count, or the node indices to pin it to. Absent: the
   * engine's tensor × pipeline parallelism (one GPU for engines without it).
   */
  gpus: z.union([z.int().positive(), z.array(z.int().nonnegative()).min(1)]).optional(),
  ...sectionFields,
});
type ExperimentFieldsOutput = z.output<typeof ExperimentFields>;

/** Backend sections present that do not belong to the experiment's backend (each is an error). */
export function foreignSections(
  value: { readonly backend: Backend } & { readonly [K in EngineBackend]?: unknown },
): EngineBackend[] {
  return BACKENDS.filter((b) => b !== value.backend && value[b] !== undefined);
}

/**
 * Complete the chosen backend's section with its defaults, so the resolved config (and its hash) says every
 * engine setting. A section that is present was already completed by its own schema.
 */
export function withBackendSection<T extends ExperimentFieldsOutput>(c: T): T {
  if (c.backend === 'external' || c[c.backend] !== undefined) return c;
  return { ...c, [c.backend]: BACKEND_SECTIONS[c.backend].parse({}) };
}

/**
 * One experiment's configuration. Only the section of the chosen backend may be present: a vLLM section in a
 * transformers experiment is an error that names the backend it belongs to, never silently ignored. (Keys
 * misplaced inside a section are caught by the strict section schemas; see describeUnknownKey.)
 * resolve.ts has a memoising validator for grids built from these same parts; a test keeps them equal.
 */
export const ExperimentConfig = z.preprocess(
  defaultExternalBackend,
  ExperimentFields.superRefine(
    (value, ctx) => {
      for (const p of serveProblems(value))
        ctx.addIssue({ code: 'custom', input: value, path: p.path, message: p.message });
      for (const b of foreignSections(value)) {
        ctx.addIssue({
          code: 'custom',
          input: value[b],
          path: [b],
          message: `section "${b}" belongs to backend ${b}, but this experiment's backend is ${value.backend}`,
        });
      }
    },
    // Run even when other fields have problems (as long as the backend is known), so validation reports
    // everything at once instead of revealing this only after the rest is fixed.
    { when: (payload) => isBackendValue((payload.value as { backend?: unknown } | null)?.backend) },
  ).transform((c) => resolveServeFields(withBackendSection(c))),
);
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;
export type ExperimentInput = z.input<typeof ExperimentConfig>;

/** For an unknown key inside a backend section: which backend it really belongs to, if any. */
export function describeUnknownKey(section: EngineBackend, key: string): string {
  const owners = backendsOwningKey(key);
  if (owners.length > 0) return `"${key}" is a ${owners.join('/')} parameter, not a ${section} one`;
  return `"${key}" is not a ${section} parameter (put engine kwargs lem does not know under ${section}.extra)`;
}

/**
 * Everything that decides how the engine is loaded: experiments that share it can share one loaded engine. A
 * served engine (mode: serve) is a server process, not the harness's engine, so it never shares a batch with
 * offline experiments; offline keys are as they were before serve mode existed.
 */
export function engineInitKey(c: ExperimentConfig): string {
  const engine = [c.backend, c.model, c.backend === 'external' ? {} : (c[c.backend] ?? {})];
  return JSON.stringify(c.mode === 'serve' ? [...engine, 'serve'] : engine);
}
