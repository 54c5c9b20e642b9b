import type { ExperimentConfig } from '../../config/experiment.js';

/** The port a server lem starts listens on inside its container (compose.yaml publishes it on 127.0.0.1). */
export const SERVER_PORT = 8000;

const DTYPES = { fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' } as const;

/** How to start one server: its command line, and files it reads (written where the container sees them). */
export interface ServerLaunch {
  readonly argv: readonly string[];
  /** File name → content; `argv` names them under `filesDir` (the container's path of the folder lem writes). */
  readonly files: Readonly<Record<string, string>>;
  /** The model name the server answers to (sent in every request body). */
  readonly servedModel: string;
}

type Flags = (string | number)[];

/** A flag per set value: `--name value`, booleans as `--name` / `--no-name` (argparse BooleanOptionalAction). */
function kebabFlags(values: Readonly<Record<string, unknown>>): Flags {
  const out: Flags = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    const flag = `--${k.replaceAll('_', '-')}`;
    if (typeof v === 'boolean') out.push(v ? flag : `--no-${k.replaceAll('_', '-')}`);
    else out.push(flag, typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
  }
  return out;
}

/**
 * `vllm serve`: engine arguments are its command-line flags (vllm/engine/arg_utils.py, EngineArgs.add_cli_args;
 * vllm/entrypoints/openai/cli_args.py for host and port), one for each key of the config's vllm section.
 */
export function vllmServe(c: ExperimentConfig, port = SERVER_PORT): ServerLaunch {
  const s = c.vllm ?? { extra: {} };
  const { extra, ...engine } = s as Record<string, unknown> & { extra: Record<string, unknown> };
  const argv: Flags = ['vllm', 'serve', c.model.name, '--host', '0.0.0.0', '--port', port];
  argv.push('--served-model-name', c.model.name, '--dtype', DTYPES[c.model.fp_precision]);
  if (c.model.revision !== undefined) argv.push('--revision', c.model.revision);
  const quantization = (engine['quantization'] as string | undefined) ?? c.model.quantization;
  argv.push(...kebabFlags({ ...engine, quantization }), ...kebabFlags(extra));
  return { argv: argv.map(String), files: {}, servedModel: c.model.name };
}

/** Name of the LLM-API options file lem writes for trtllm-serve. */
export const TRTLLM_OPTIONS_FILE = 'trtllm-serve-options.yaml';

/**
 * `trtllm-serve serve`: the flags it has (tensorrt_llm/commands/serve.py, click options), and the rest of the
 * LLM API arguments (dtype, quantization, `extra`) in the YAML file it reads with --extra_llm_api_options (JSON is
 * YAML). It has no dtype or quantization flag of its own.
 */
export function trtllmServe(c: ExperimentConfig, filesDir: string, port = SERVER_PORT): ServerLaunch {
  const s = c.tensorrt ?? { tensor_parallel_size: 1, pipeline_parallel_size: 1, extra: {} };
  const argv: Flags = ['trtllm-serve', 'serve', c.model.name, '--host', '0.0.0.0', '--port', port];
  argv.push('--tp_size', s.tensor_parallel_size, '--pp_size', s.pipeline_parallel_size);
  if (s.max_batch_size !== undefined) argv.push('--max_batch_size', s.max_batch_size);
  if (s.max_num_tokens !== undefined) argv.push('--max_num_tokens', s.max_num_tokens);
  if (s.max_seq_len !== undefined) argv.push('--max_seq_len', s.max_seq_len);
  if (s.kv_cache_free_gpu_memory_fraction !== undefined)
    argv.push('--kv_cache_free_gpu_memory_fraction', s.kv_cache_free_gpu_memory_fraction);
  if (s.enable_chunked_prefill === true) argv.push('--enable_chunked_prefill');
  if (c.model.revision !== undefined) argv.push('--revision', c.model.revision);
  const quantization = s.quantization ?? c.model.quantization;
  const options: Record<string, unknown> = { dtype: DTYPES[c.model.fp_precision] };
  if (quantization !== undefined) options['quant_config'] = { quant_algo: quantization.toUpperCase() };
  Object.assign(options, s.extra);
  argv.push('--extra_llm_api_options', `${filesDir}/${TRTLLM_OPTIONS_FILE}`);
  return {
    argv: argv.map(String),
    files: { [TRTLLM_OPTIONS_FILE]: JSON.stringify(options, null, 2) + '\n' },
    servedModel: c.model.name,
  };
}

/** The synthetic server (a test double): TTFT and inter-token gap from the synthetic section, simulated load time. */
export function syntheticServe(c: ExperimentConfig, port = SERVER_PORT): ServerLaunch {
  const s = c.synthetic ?? { tokens_per_second: 2000, ttft_ms: 5, load_s: 0, fail_experiment: false, extra: {} };
  const argv: Flags = ['python3', '-m', 'lem_harness', 'serve-synthetic', '--host', '0.0.0.0', '--port', port];
  argv.push('--ttft-ms', s.ttft_ms, '--itl-ms', 1000 / s.tokens_per_second, '--model', c.model.name);
  if (s.load_s > 0) argv.push('--load-s', s.load_s);
  if (s.fail_experiment) argv.push('--fail-start');
  return { argv: argv.map(String), files: {}, servedModel: c.model.name };
}

/** The server a lem-started serve experiment needs, or undefined for a backend lem cannot serve. */
export function serverLaunch(c: ExperimentConfig, filesDir: string): ServerLaunch | undefined {
  switch (c.backend) {
    case 'vllm':
      return vllmServe(c);
    case 'tensorrt':
      return trtllmServe(c, filesDir);
    case 'synthetic':
      return syntheticServe(c);
    default:
      return undefined;
  }
}
