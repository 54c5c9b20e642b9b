import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BACKENDS, type EngineBackend } from '../../src/config/backends.js';
import { ExperimentConfig, ExperimentFields, type ExperimentInput } from '../../src/config/experiment.js';
import type { BatchSpec } from '../../src/contract/batch-spec.js';

// lem (zod) and the harness (Python) must agree on every field of the resolved experiment config: the harness
// reads each value exactly as lem resolved it, and fills in nothing itself. These tests resolve configs with zod,
// write them into batch specs and ask the real harness (`python3 -m lem_harness check`) what it reads.

const HARNESS = join(process.cwd(), 'docker/harness');
const dir = mkdtempSync(join(tmpdir(), 'lem-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Every field set to a value other than its default, so a harness default could not pass for lem's value. */
const COMMON = {
  name: 'parity',
  model: { name: 'org/model', fp_precision: 'fp16', revision: 'rev-1', quantization: 'awq' },
  max_output_tokens: 77,
  batching: { batch_size: 3, strategy: 'sorted' },
  decoder: { preset: 'factual', temperature: 0.25 },
  prompts: { source: 'file', file: '/app/configs/prompts.jsonl', category: 'long', count: 5, input_length: 33 },
  measurement: {
    sample_interval_ms: 50,
    sampling: false,
    idle_baseline_s: 2.5,
    min_measure_s: 12,
    warmup: { max_runs: 9, cv_threshold: 0.1, window: 4, min_runs: 1 },
  },
  force_cold_start: true,
  gpus: [0, 1] as number[],
} as const;

const SECTIONS: Record<EngineBackend, Record<string, unknown>> = {
  transformers: {
    attn_implementation: 'sdpa',
    device_map: 'cuda:0',
    torch_compile: true,
    use_cache: false,
    low_cpu_mem_usage: false,
    trust_remote_code: true,
    load_in_8bit: true,
    load_in_4bit: true,
    extra: { k: 1 },
  },
  vllm: {
    tensor_parallel_size: 2,
    pipeline_parallel_size: 2,
    gpu_memory_utilization: 0.5,
    max_num_seqs: 8,
    max_num_batched_tokens: 1024,
    max_model_len: 2048,
    enforce_eager: true,
    quantization: 'fp8',
    kv_cache_dtype: 'fp8',
    enable_prefix_caching: true,
    enable_chunked_prefill: false,
    block_size: 32,
    swap_space: 1.5,
    seed: -3,
    extra: { k: [1, 2] },
  },
  tensorrt: {
    tensor_parallel_size: 2,
    pipeline_parallel_size: 2,
    max_batch_size: 16,
    max_num_tokens: 4096,
    max_seq_len: 512,
    kv_cache_free_gpu_memory_fraction: 0.7,
    enable_chunked_prefill: true,
    quantization: 'fp8',
    extra: { k: 'v' },
  },
  synthetic: { tokens_per_second: 123, ttft_ms: 7, load_s: 0.5, fail_experiment: true, extra: { k: null } },
};

function resolve(input: ExperimentInput): JsonObject {
  return JSON.parse(JSON.stringify(ExperimentConfig.parse(input))) as JsonObject;
}

const full = BACKENDS.map((b) => resolve({ ...COMMON, backend: b, [b]: SECTIONS[b] }));
const minimal = BACKENDS.map((b) => resolve({ backend: b, model: { name: 'org/model' } }));
const presets = (['deterministic', 'standard', 'creative'] as const).map((preset) =>
  resolve({ backend: 'synthetic', model: { name: 'm' }, decoder: { preset } }),
);
const representative = [...full, ...minimal, ...presets];

/** The resolved config's JSON Schema, straight from zod (not the shipped file, which the harness reads). */
const schema = z.toJSONSchema(ExperimentFields, { io: 'output' }) as JsonObject;

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  anyOf?: SchemaNode[];
}

function objectNode(node: SchemaNode | undefined): SchemaNode | undefined {
  return node?.properties ? node : node?.anyOf?.find((n) => n.properties);
}

/** Every path the schema describes down to its leaves (records such as `extra` are leaves). */
function schemaPaths(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix + key;
    const obj = objectNode(child);
    return obj ? [path, ...schemaPaths(obj, `${path}.`)] : [path];
  });
}

/** Whether the schema requires the field at `path` (its parent object lists it as required). */
function isRequired(path: string): boolean {
  const keys = path.split('.');
  let node: SchemaNode | undefined = schema;
  for (const key of keys.slice(0, -1)) node = objectNode(node?.properties?.[key]);
  return node?.required?.includes(keys.at(-1)!) ?? false;
}

function leafPaths(value: Json, prefix = ''): string[] {
  const here = [prefix.slice(0, -1)];
  // `extra` is an open record of engine kwargs: one value, however deep.
  if (value === null || typeof value !== 'object' || Array.isArray(value) || prefix.endsWith('.extra.')) return here;
  const entries = Object.entries(value);
  if (entries.length === 0) return here;
  return entries.flatMap(([k, v]) => leafPaths(v, `${prefix}${k}.`));
}

function at(value: Json, path: string): Json | undefined {
  let node: Json | undefined = value;
  for (const key of path.split('.')) {
    node = node !== null && typeof node === 'object' && !Array.isArray(node) ? node[key] : undefined;
  }
  return node;
}

function without(config: JsonObject, path: string): JsonObject {
  const copy = structuredClone(config);
  const keys = path.split('.');
  const parent = at(copy, keys.slice(0, -1).join('.') || '') as JsonObject;
  delete (keys.length === 1 ? copy : parent)[keys.at(-1)!];
  return copy;
}

function writeSpec(name: string, configs: JsonObject[]): string {
  const spec = {
    schema_version: 1,
    campaign_id: 'parity',
    batch_id: name,
    results_dir: '/tmp/none',
    experiments: configs.map((config, i) => ({
      experiment_id: `e${i}`,
      config_hash: `h${i}`,
      cycle: 0,
      index: i,
      attempt: 1,
      pause_before_s: 0,
      config,
    })),
  } as unknown as BatchSpec;
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

type Checked =
  | { spec: string; ok: true; experiments: { experiment_id: string; settings: Record<string, Json> }[] }
  | { spec: string; ok: false; error: string };

/** `python3 -m lem_harness check` on many specs in one process. */
function check(paths: string[]): Checked[] {
  let out: string;
  try {
    out = execFileSync('python3', ['-m', 'lem_harness', 'check', ...paths], { cwd: HARNESS, encoding: 'utf8' });
  } catch (e) {
    out = (e as { stdout: string }).stdout; // exit 2 when any spec is invalid; the lines still say which
  }
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Checked);
}

/**
 * Fields lem acts on itself, never sent to work the harness does: serve mode (lem's load generator; the harness
 * is not run for it) and meters besides NVML (read on the host). The contract still describes them, so a spec
 * carrying them validates; the harness reads none of them.
 */
const ORCHESTRATOR_ONLY = ['measurement.sources', 'mode', 'load', 'endpoint', 'endpoints', 'routing', 'slo', 'server'];
const harnessFacing = (p: string) => !ORCHESTRATOR_ONLY.some((o) => p === o || p.startsWith(`${o}.`));

describe('lem and the harness agree on the resolved experiment config', () => {
  it('the representative configs set every field the schema describes, for every backend', () => {
    const set = new Set(representative.flatMap((c) => leafPaths(c)));
    const covered = (p: string) => [...set].some((s) => s === p || s.startsWith(`${p}.`));
    const missing = schemaPaths(schema as SchemaNode).filter((p) => harnessFacing(p) && !covered(p));
    expect(missing).toEqual([]);
  });

  it('the harness reads every field exactly as zod resolved it', () => {
    const [result] = check([writeSpec('representative', representative)]);
    if (!result?.ok) throw new Error(`harness refused a config zod resolved: ${JSON.stringify(result)}`);
    result.experiments.forEach(({ settings }, i) => {
      const config = representative[i]!;
      for (const [path, value] of Object.entries(settings)) {
        expect({ path, value }).toEqual({ path, value: at(config, path) ?? null });
      }
      // Nothing lem sent is left unread: every leaf lies under a path the harness read.
      const read = (leaf: string) => Object.keys(settings).some((p) => leaf === p || leaf.startsWith(`${p}.`));
      const unread = leafPaths(config).filter((leaf) => !read(leaf));
      expect(unread).toEqual([]);
      // And the harness reads nothing the contract does not describe.
      const known = new Set(schemaPaths(schema));
      expect(Object.keys(settings).filter((p) => !known.has(p))).toEqual([]);
    });
  });

  it('takes any field away and the harness refuses it if zod requires it, or reads null if optional', () => {
    const cases = full.flatMap((config, b) =>
      leafPaths(config).map((path) => ({ config, path, name: `drop-${b}-${path}` })),
    );
    const results = check(cases.map((c) => writeSpec(c.name, [without(c.config, c.path)])));
    expect(results).toHaveLength(cases.length);
    cases.forEach(({ path }, i) => {
      const r = results[i]!;
      if (isRequired(path)) {
        const expected = `experiments[0].config.${path}: required field is missing`;
        expect(r.ok ? `accepted without ${path}` : r.error).toBe(expected);
      } else {
        if (!r.ok) throw new Error(`refused without optional ${path}: ${r.error}`);
        const settings = r.experiments[0]!.settings;
        const read = Object.entries(settings).find(([p]) => path === p || path.startsWith(`${p}.`));
        const value = read && (read[0] === path ? read[1] : (at(read[1], path.slice(read[0].length + 1)) ?? null));
        expect({ path, value }).toEqual({ path, value: null });
      }
    });
  });
});
