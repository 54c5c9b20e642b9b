import { z } from 'zod';

/**
 * The engines lem can drive. `synthetic` is a test double (no GPU, simulated tokens) used by CI and the
 * demo; it is never a default and its results carry `simulated: true`.
 */
export const BACKENDS = ['transformers', 'vllm', 'tensorrt', 'synthetic'] as const;
export type EngineBackend = (typeof BACKENDS)[number];
/**
 * `external` is a server lem neither starts nor stops (serve mode with `endpoint:`): no container, no engine
 * section, so it is a backend value but not one of the engines in BACKENDS.
 */
export const EXTERNAL_BACKEND = 'external';
export const Backend = z.enum([...BACKENDS, EXTERNAL_BACKEND]);
export type Backend = z.infer<typeof Backend>;

/** One of the engines (not `external`): a name that has a container and an engine section. */
export function isBackend(value: unknown): value is EngineBackend {
  return typeof value === 'string' && (BACKENDS as readonly string[]).includes(value);
}

/** Any value `backend:` accepts: an engine, or `external` (an endpoint lem does not start). */
export function isBackendValue(value: unknown): value is Backend {
  return isBackend(value) || value === EXTERNAL_BACKEND;
}

/** Names users may type for a backend; the seed's campaigns say `pytorch`. */
export const BACKEND_ALIASES: Readonly<Record<string, EngineBackend>> = { pytorch: 'transformers' };

/** The backend an alias names; own keys only, so `toString` or `constructor` is no alias. */
export function backendAlias(name: string): EngineBackend | undefined {
  return Object.hasOwn(BACKEND_ALIASES, name) ? BACKEND_ALIASES[name] : undefined;
}

export function normaliseBackend(value: unknown): unknown {
  return typeof value === 'string' ? (backendAlias(value) ?? value) : value;
}

/** Niche engine kwargs passed through verbatim, so lem never blocks a parameter it does not know yet. */
const Extra = z.record(z.string(), z.unknown()).default({});

export const TransformersSection = z.strictObject({
  attn_implementation: z.enum(['eager', 'sdpa', 'flash_attention_2']).optional(),
  device_map: z.string().default('auto'),
  torch_compile: z.boolean().default(false),
  use_cache: z.boolean().default(true),
  low_cpu_mem_usage: z.boolean().default(true),
  trust_remote_code: z.boolean().default(false),
  load_in_8bit: z.boolean().default(false),
  load_in_4bit: z.boolean().default(false),
  extra: Extra,
});

export const VllmSection = z.strictObject({
  tensor_parallel_size: z.int().positive().default(1),
  pipeline_parallel_size: z.int().positive().default(1),
  gpu_memory_utilization: z.number().gt(0).lte(1).default(0.9),
  max_num_seqs: z.int().positive().optional(),
  max_num_batched_tokens: z.int().positive().optional(),
  max_model_len: z.int().positive().optional(),
  enforce_eager: z.boolean().default(false),
  quantization: z.string().optional(),
  kv_cache_dtype: z.enum(['auto', 'fp8', 'fp8_e5m2', 'fp8_e4m3']).default('auto'),
  enable_prefix_caching: z.boolean().optional(),
  enable_chunked_prefill: z.boolean().optional(),
  block_size: z.int().positive().optional(),
  swap_space: z.number().nonnegative().optional(),
  seed: z.int().optional(),
  extra: Extra,
});

export const TensorrtSection = z.strictObject({
  tensor_parallel_size: z.int().positive().default(1),
  pipeline_parallel_size: z.int().positive().default(1),
  max_batch_size: z.int().positive().optional(),
  max_num_tokens: z.int().positive().optional(),
  max_seq_len: z.int().positive().optional(),
  kv_cache_free_gpu_memory_fraction: z.number().gt(0).lte(1).optional(),
  enable_chunked_prefill: z.boolean().optional(),
  quantization: z.string().optional(),
  extra: Extra,
});

/** Parameters of the simulated engine (test double). */
export const SyntheticSection = z.strictObject({
  tokens_per_second: z.number().positive().default(2000),
  ttft_ms: z.number().nonnegative().default(5),
  load_s: z.number().nonnegative().default(0),
  /** Fail deliberately, for fault-injection tests: never in a real campaign. */
  fail_experiment: z.boolean().default(false),
  extra: Extra,
});

export const BACKEND_SECTIONS = {
  transformers: TransformersSection,
  vllm: VllmSection,
  tensorrt: TensorrtSection,
  synthetic: SyntheticSection,
} as const satisfies Record<EngineBackend, z.ZodType>;

/** Which backend owns a key, so a misplaced key gets an error that names its home. */
export function backendsOwningKey(key: string): EngineBackend[] {
  return BACKENDS.filter((b) => key !== 'extra' && Object.hasOwn(BACKEND_SECTIONS[b].shape, key));
}
