import { describe, expect, it } from 'vitest';
import { validateExperiment } from '../../src/config/resolve.js';
import { serverLaunch, syntheticServe, trtllmServe, vllmServe } from '../../src/serve/server/command.js';
import { paramsDiff, serverKey, serverParams } from '../../src/serve/server/identity.js';
import { hostPortOf } from '../../src/serve/server/published-port.js';

function config(input: Record<string, unknown>) {
  const r = validateExperiment({
    model: { name: 'meta-llama/Llama-3.1-8B-Instruct' },
    mode: 'serve',
    load: { concurrency: 8 },
    ...input,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** The value after a flag, as argparse/click read it. */
const after = (argv: readonly string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('vllm serve command line (flags of vllm/engine/arg_utils.py and entrypoints/openai/cli_args.py)', () => {
  it('defaults: model positional, served name, dtype, parallelism, memory, KV cache dtype, eager off', () => {
    const { argv, files, servedModel } = vllmServe(config({ backend: 'vllm' }));
    expect(argv.slice(0, 3)).toEqual(['vllm', 'serve', 'meta-llama/Llama-3.1-8B-Instruct']);
    expect(after(argv, '--host')).toBe('0.0.0.0');
    expect(after(argv, '--port')).toBe('8000');
    expect(after(argv, '--served-model-name')).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(after(argv, '--dtype')).toBe('bfloat16');
    expect(after(argv, '--tensor-parallel-size')).toBe('1');
    expect(after(argv, '--pipeline-parallel-size')).toBe('1');
    expect(after(argv, '--gpu-memory-utilization')).toBe('0.9');
    expect(after(argv, '--kv-cache-dtype')).toBe('auto');
    expect(argv).toContain('--no-enforce-eager');
    expect(argv).not.toContain('--max-num-seqs');
    expect(argv).not.toContain('--quantization');
    expect(files).toEqual({});
    expect(servedModel).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  it('every set section key becomes its flag; booleans as BooleanOptionalAction; extra passes through', () => {
    const c = config({
      backend: 'vllm',
      model: { name: 'm', fp_precision: 'fp16', revision: 'abc', quantization: 'awq' },
      vllm: {
        max_num_seqs: 256,
        max_num_batched_tokens: 8192,
        max_model_len: 4096,
        enforce_eager: true,
        enable_prefix_caching: false,
        enable_chunked_prefill: true,
        block_size: 16,
        swap_space: 4,
        seed: 7,
        extra: { disable_log_requests: true, speculative_config: { num_speculative_tokens: 3 } },
      },
    });
    const { argv } = vllmServe(c);
    expect(after(argv, '--dtype')).toBe('float16');
    expect(after(argv, '--revision')).toBe('abc');
    expect(after(argv, '--quantization')).toBe('awq');
    expect(after(argv, '--max-num-seqs')).toBe('256');
    expect(after(argv, '--max-num-batched-tokens')).toBe('8192');
    expect(after(argv, '--max-model-len')).toBe('4096');
    expect(after(argv, '--block-size')).toBe('16');
    expect(after(argv, '--swap-space')).toBe('4');
    expect(after(argv, '--seed')).toBe('7');
    expect(argv).toContain('--enforce-eager');
    expect(argv).toContain('--no-enable-prefix-caching');
    expect(argv).toContain('--enable-chunked-prefill');
    expect(argv).toContain('--disable-log-requests');
    expect(after(argv, '--speculative-config')).toBe('{"num_speculative_tokens":3}');
    expect(argv.filter((a) => a === '--quantization')).toHaveLength(1);
  });
});

describe('trtllm-serve command line (click options of tensorrt_llm/commands/serve.py)', () => {
  it('flags it has; dtype, quantization and extra in the --extra_llm_api_options file', () => {
    const c = config({
      backend: 'tensorrt',
      model: { name: 'm', revision: 'r1' },
      tensorrt: {
        tensor_parallel_size: 2,
        max_batch_size: 64,
        max_num_tokens: 8192,
        max_seq_len: 4096,
        kv_cache_free_gpu_memory_fraction: 0.85,
        enable_chunked_prefill: true,
        quantization: 'fp8',
        extra: { enable_attention_dp: true },
      },
    });
    const { argv, files } = trtllmServe(c, '/app/batches/c1/servers/tensorrt');
    expect(argv.slice(0, 3)).toEqual(['trtllm-serve', 'serve', 'm']);
    expect(after(argv, '--host')).toBe('0.0.0.0');
    expect(after(argv, '--port')).toBe('8000');
    expect(after(argv, '--tp_size')).toBe('2');
    expect(after(argv, '--pp_size')).toBe('1');
    expect(after(argv, '--max_batch_size')).toBe('64');
    expect(after(argv, '--max_num_tokens')).toBe('8192');
    expect(after(argv, '--max_seq_len')).toBe('4096');
    expect(after(argv, '--kv_cache_free_gpu_memory_fraction')).toBe('0.85');
    expect(after(argv, '--revision')).toBe('r1');
    expect(argv).toContain('--enable_chunked_prefill');
    expect(after(argv, '--extra_llm_api_options')).toBe('/app/batches/c1/servers/tensorrt/trtllm-serve-options.yaml');
    expect(JSON.parse(files['trtllm-serve-options.yaml']!)).toEqual({
      dtype: 'bfloat16',
      quant_config: { quant_algo: 'FP8' },
      enable_attention_dp: true,
    });
  });

  it('unset options are left to trtllm-serve', () => {
    const { argv } = trtllmServe(config({ backend: 'tensorrt' }), '/x');
    for (const f of ['--max_batch_size', '--max_num_tokens', '--max_seq_len', '--enable_chunked_prefill', '--revision'])
      expect(argv).not.toContain(f);
  });
});

describe('synthetic server command line (the test double)', () => {
  it('TTFT, inter-token gap from tokens/s, model name, simulated load time, deliberate failure', () => {
    const { argv } = syntheticServe(
      config({
        backend: 'synthetic',
        synthetic: { ttft_ms: 20, tokens_per_second: 200, load_s: 3, fail_experiment: true },
      }),
    );
    expect(argv.slice(0, 4)).toEqual(['python3', '-m', 'lem_harness', 'serve-synthetic']);
    expect(after(argv, '--ttft-ms')).toBe('20');
    expect(after(argv, '--itl-ms')).toBe('5');
    expect(after(argv, '--load-s')).toBe('3');
    expect(argv).toContain('--fail-start');
    expect(serverLaunch(config({ backend: 'synthetic' }), '/x')!.argv).not.toContain('--load-s');
  });
});

describe('server identity: when a running server is reused', () => {
  const base = { backend: 'vllm', vllm: { max_num_seqs: 64 } };

  it('load, SLOs and the readiness timeout do not change it; model and engine parameters do', () => {
    const a = config(base);
    expect(serverKey(config({ ...base, load: { concurrency: 64 }, slo: { ttft_ms: 100 } }))).toBe(serverKey(a));
    expect(serverKey(config({ ...base, server: { ready_timeout_s: 5 } }))).toBe(serverKey(a));
    expect(serverKey(config({ ...base, vllm: { max_num_seqs: 128 } }))).not.toBe(serverKey(a));
    expect(serverKey(config({ ...base, model: { name: 'other' } }))).not.toBe(serverKey(a));
  });

  it('the restart reason names every changed parameter with both values', () => {
    const a = serverParams(config(base));
    const b = serverParams(
      config({ ...base, model: { name: 'm2', fp_precision: 'fp16' }, vllm: { max_num_seqs: 128 } }),
    );
    expect(paramsDiff(a, b)).toEqual([
      'model.fp_precision: "bf16" -> "fp16"',
      'model.name: "meta-llama/Llama-3.1-8B-Instruct" -> "m2"',
      'vllm.max_num_seqs: 64 -> 128',
    ]);
    expect(paramsDiff(a, a)).toEqual([]);
  });
});

describe('the published host port', () => {
  it('is the 127.0.0.1 binding of the container port; none is undefined', () => {
    const ports = { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }], '9/tcp': null };
    expect(hostPortOf(ports, 8000)).toBe(32768);
    expect(hostPortOf(ports, 9)).toBeUndefined();
    expect(hostPortOf({ '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '1' }] }, 8000)).toBeUndefined();
    expect(hostPortOf(undefined, 8000)).toBeUndefined();
  });
});
