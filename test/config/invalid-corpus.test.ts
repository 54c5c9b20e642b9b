import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/core/errors.js';
import { loadConfigFile } from '../../src/config/load.js';

const DIR = 'test/fixtures/invalid';

/**
 * Each malformed file, the line its problem must be reported at, the exact field path, and a fragment of
 * the message saying what was expected. Files starting with "_" are helpers included by other fixtures.
 * `file` defaults to the fixture itself (an included file reports in that file).
 */
const CORPUS: { fixture: string; line: number; path: string | null; message: string; file?: string }[] = [
  // experiment files
  {
    fixture: 'exp-missing-model-name.yaml',
    line: 2,
    path: 'model.name',
    message: 'required field is missing (expected a string)',
  },
  {
    fixture: 'exp-bad-precision.yaml',
    line: 4,
    path: 'model.fp_precision',
    message: 'expected one of "fp32", "fp16", "bf16", got "fp8"',
  },
  {
    fixture: 'exp-negative-max-tokens.yaml',
    line: 3,
    path: 'max_output_tokens',
    message: 'expected an integer > 0, got -1',
  },
  {
    fixture: 'exp-fractional-batch-size.yaml',
    line: 4,
    path: 'batching.batch_size',
    message: 'expected an integer, got 2.5',
  },
  { fixture: 'exp-bad-strategy.yaml', line: 4, path: 'batching.strategy', message: 'got "greedy"' },
  { fixture: 'exp-typo-key.yaml', line: 4, path: 'batching.batch_sise', message: 'did you mean "batch_size"?' },
  {
    fixture: 'exp-vllm-key-in-transformers.yaml',
    line: 5,
    path: 'transformers.max_num_seqs',
    message: '"max_num_seqs" is a vllm parameter, not a transformers one',
  },
  {
    fixture: 'exp-unknown-engine-key.yaml',
    line: 5,
    path: 'vllm.flux_capacitor',
    message: 'is not a vllm parameter (put engine kwargs lem does not know under vllm.extra)',
  },
  {
    fixture: 'exp-section-of-other-backend.yaml',
    line: 3,
    path: 'vllm',
    message: "belongs to backend vllm, but this experiment's backend is transformers",
  },
  { fixture: 'exp-unknown-backend.yaml', line: 2, path: 'backend', message: 'got "onnx"' },
  { fixture: 'exp-missing-backend.yaml', line: 1, path: 'backend', message: 'required field is missing' },
  {
    fixture: 'exp-engine-key-at-top.yaml',
    line: 3,
    path: 'max_num_seqs',
    message: 'is a vllm parameter: put it under "vllm:"',
  },
  { fixture: 'exp-pytorch-section.yaml', line: 3, path: 'pytorch', message: 'alias of backend transformers' },
  {
    fixture: 'exp-negative-temperature.yaml',
    line: 4,
    path: 'decoder.temperature',
    message: 'expected a number >= 0, got -1',
  },
  { fixture: 'exp-top-p-above-one.yaml', line: 5, path: 'decoder.top_p', message: 'expected a number <= 1, got 1.5' },
  { fixture: 'exp-bad-preset.yaml', line: 4, path: 'decoder.preset', message: 'got "wild"' },
  {
    fixture: 'exp-prompts-file-required.yaml',
    line: 3,
    path: 'prompts.file',
    message: 'required when prompts.source is "file"',
  },
  { fixture: 'exp-prompt-file-not-found.yaml', line: 5, path: 'prompts.file', message: 'prompt file not found' },
  {
    fixture: 'exp-sample-interval-too-small.yaml',
    line: 4,
    path: 'measurement.sample_interval_ms',
    message: 'expected an integer >= 10, got 5',
  },
  {
    fixture: 'exp-warmup-window-too-small.yaml',
    line: 5,
    path: 'measurement.warmup.window',
    message: 'expected an integer >= 2, got 1',
  },
  {
    fixture: 'exp-gpu-memory-fraction.yaml',
    line: 4,
    path: 'vllm.gpu_memory_utilization',
    message: 'expected a number <= 1, got 1.5',
  },
  {
    fixture: 'exp-string-for-boolean.yaml',
    line: 3,
    path: 'force_cold_start',
    message: 'expected true or false, got "yes"',
  },
  {
    fixture: 'exp-yaml-syntax.yaml',
    line: 4,
    path: null,
    message: 'YAML syntax: this line is not aligned with the keys above it',
  },
  {
    fixture: 'exp-duplicate-key.yaml',
    line: 4,
    path: null,
    message: 'appears twice in the same mapping (Map keys must be unique): keep one',
  },
  {
    fixture: 'exp-not-a-mapping.yaml',
    line: 1,
    path: null,
    message: 'expected a mapping (an experiment config), got a list',
  },
  { fixture: 'exp-bad-kv-cache-dtype.yaml', line: 4, path: 'vllm.kv_cache_dtype', message: 'got "int4"' },
  { fixture: 'exp-model-name-list.yaml', line: 3, path: 'model.name', message: 'expected a string, got a list' },
  // serving mode
  {
    fixture: 'exp-serve-rate-and-concurrency.yaml',
    line: 6,
    path: 'load.rate',
    message: 'load.rate and load.concurrency are both set',
  },
  { fixture: 'exp-serve-negative-rate.yaml', line: 5, path: 'load.rate', message: 'expected a number > 0, got -2' },
  {
    fixture: 'exp-serve-unknown-api.yaml',
    line: 6,
    path: 'endpoint.api',
    message: 'expected one of "openai-chat", "openai-completions", got "ollama-native"',
  },
  {
    fixture: 'exp-serve-url-without-scheme.yaml',
    line: 5,
    path: 'endpoint.url',
    message: 'expected an absolute http:// or https:// URL',
  },
  {
    fixture: 'exp-serve-slo-unknown-metric.yaml',
    line: 7,
    path: 'slo.latency_ms',
    message: 'unknown field "latency_ms"',
  },
  {
    fixture: 'exp-serve-endpoint-with-server-params.yaml',
    line: 5,
    path: 'vllm',
    message: 'an external endpoint is a server lem does not start, so vllm server parameters cannot apply',
  },
  { fixture: 'exp-serve-fields-without-mode.yaml', line: 3, path: 'load', message: 'needs mode: serve' },
  {
    fixture: 'exp-serve-endpoint-with-server-section.yaml',
    line: 4,
    path: 'server',
    message: 'server: configures a server lem starts, but endpoint names one lem does not start',
  },
  {
    fixture: 'exp-serve-server-bad-timeout.yaml',
    line: 6,
    path: 'server.ready_timeout_s',
    message: 'expected a number > 0',
  },
  // hostile or mistaken input: prototype names, non-finite numbers, keys JS cannot hold, bad bytes
  { fixture: 'exp-backend-tostring.yaml', line: 2, path: 'backend', message: 'got "toString"' },
  { fixture: 'exp-backend-constructor.yaml', line: 2, path: 'backend', message: 'got "constructor"' },
  { fixture: 'exp-backend-valueof.yaml', line: 2, path: 'backend', message: 'got "valueOf"' },
  { fixture: 'exp-backend-proto.yaml', line: 2, path: 'backend', message: 'got "__proto__"' },
  {
    fixture: 'exp-infinity.yaml',
    line: 4,
    path: 'max_output_tokens',
    message: 'expected an integer, got infinity (.inf), which is not allowed',
  },
  { fixture: 'exp-null-key.yaml', line: 4, path: null, message: '"null" is not a usable key (YAML reads it as null)' },
  { fixture: 'exp-extra-proto.yaml', line: 6, path: null, message: '"__proto__" cannot be used as a key' },
  {
    fixture: 'exp-invalid-utf8.yaml',
    line: 3,
    path: null,
    message: 'invalid UTF-8 (byte 0xe9): save the file as UTF-8',
  },
  // YAML syntax, said in plain words at the line to change
  {
    fixture: 'exp-yaml-overindent.yaml',
    line: 4,
    path: null,
    message: 'indented more than "name:" on line 3, which already has a value',
  },
  {
    fixture: 'exp-yaml-tab.yaml',
    line: 3,
    path: null,
    message: 'a tab is used for indentation: YAML allows only spaces',
  },
  {
    fixture: 'exp-yaml-unclosed-quote.yaml',
    line: 3,
    path: null,
    message: 'the quoted value that starts here is never closed',
  },
  {
    fixture: 'exp-yaml-missing-space.yaml',
    line: 2,
    path: 'model',
    message: 'got "name:m" (a key needs ": ", a space after the colon)',
  },
  { fixture: 'exp-yaml-unclosed-flow.yaml', line: 3, path: null, message: 'a [list] or {mapping} is not closed' },
  {
    fixture: 'exp-yaml-two-documents.yaml',
    line: 4,
    path: null,
    message: 'a second YAML document starts here ("---")',
  },
  {
    fixture: 'exp-source-unknown-type.yaml',
    line: 5,
    path: 'measurement.sources[0].type',
    message: 'expected one of "rapl", "snmp", "nvidia-smi-log", "dcgm-log", "powermetrics-log", "csv", got "wattmeter"',
  },
  {
    fixture: 'exp-source-snmp-port.yaml',
    line: 7,
    path: 'measurement.sources[0].port',
    message: '<= 65535, got 70000',
  },
  {
    fixture: 'exp-source-community-value.yaml',
    line: 8,
    path: 'measurement.sources[0].community_env',
    message: 'expected an environment variable name',
  },
  // campaign files
  {
    fixture: 'camp-config-dev-zero.yaml',
    line: 3,
    path: 'configs[0]',
    message: 'experiment file /dev/zero is a character device, not a regular file',
  },
  {
    fixture: 'camp-huge-cycles.yaml',
    line: 2,
    path: 'cycles',
    message: '2 experiment(s) × 1,000,000,000 cycles = 2,000,000,000 runs, more than the 100,000 runs',
  },
  {
    fixture: 'camp-huge-grid.yaml',
    line: 5,
    path: 'vary',
    message: 'this makes 100,000,000 experiments, more than the 100,000 runs',
  },
  {
    fixture: 'camp-schedule-minute-61.yaml',
    line: 3,
    path: 'schedule.cron[0]',
    message: 'invalid cron expression "61 * * * *": minute must be 0-59, got 61',
  },
  {
    fixture: 'camp-schedule-step-61.yaml',
    line: 3,
    path: 'schedule.cron[0]',
    message: 'step "/61" in the minute field must be a whole number from 1 to 60',
  },
  {
    fixture: 'camp-schedule-every-day.yaml',
    line: 3,
    path: 'schedule.cron[0]',
    message: '"every day": 2 fields, but cron has 5 fields',
  },
  {
    fixture: 'camp-schedule-four-fields.yaml',
    line: 3,
    path: 'schedule.cron[0]',
    message: '"* * * *": 4 fields, but cron has 5 fields',
  },
  {
    fixture: 'camp-schedule-bad-timezone.yaml',
    line: 4,
    path: 'schedule.timezone',
    message: 'unknown time zone "Mars/Olympus": use an IANA name such as Europe/London or UTC',
  },
  { fixture: 'camp-vary-constructor.yaml', line: 6, path: 'vary.constructor', message: 'unknown field "constructor"' },
  { fixture: 'camp-base-tostring.yaml', line: 5, path: 'base_config.toString', message: 'unknown field "toString"' },
  {
    fixture: 'camp-both-modes.yaml',
    line: 2,
    path: 'configs',
    message: 'either configs: (mode 1) or base_config: + vary: (mode 2), not both',
  },
  { fixture: 'camp-no-experiments.yaml', line: 1, path: null, message: 'no experiments' },
  { fixture: 'camp-missing-name.yaml', line: 1, path: 'campaign_name', message: 'required field is missing' },
  {
    fixture: 'camp-bad-structure.yaml',
    line: 3,
    path: 'structure',
    message: 'expected one of "interleaved", "shuffled", "grouped", got "random"',
  },
  { fixture: 'camp-zero-cycles.yaml', line: 3, path: 'cycles', message: 'expected an integer > 0, got 0' },
  { fixture: 'camp-typo-cycles.yaml', line: 3, path: 'cycle', message: 'did you mean "cycles"?' },
  { fixture: 'camp-config-not-found.yaml', line: 4, path: 'configs[1]', message: 'experiment file not found' },
  {
    fixture: 'camp-included-file-invalid.yaml',
    file: '_included-bad-precision.yaml',
    line: 5,
    path: 'model.fp_precision',
    message: 'got "fp64"',
  },
  {
    fixture: 'camp-vary-scalar.yaml',
    line: 7,
    path: 'vary.batching.batch_size',
    message: 'expected a list of values to sweep, got 4',
  },
  { fixture: 'camp-vary-empty-list.yaml', line: 6, path: 'vary.max_output_tokens', message: 'empty list' },
  {
    fixture: 'camp-vary-bad-value.yaml',
    line: 8,
    path: 'vary.batching.batch_size[1]',
    message: 'expected an integer > 0, got 0',
  },
  {
    fixture: 'camp-vary-unused-backend.yaml',
    line: 7,
    path: 'vary.vllm.max_num_seqs',
    message: 'no experiment of this campaign uses vllm',
  },
  { fixture: 'camp-vary-unknown-backend.yaml', line: 5, path: 'vary.backend[1]', message: 'got "onnx"' },
  { fixture: 'camp-backend-fixed-and-varied.yaml', line: 4, path: 'base_config.backend', message: 'backend is varied' },
  {
    fixture: 'camp-base-unused-section.yaml',
    line: 4,
    path: 'base_config.tensorrt',
    message: 'no experiment of this campaign uses it',
  },
  { fixture: 'camp-vary-overlap.yaml', line: 9, path: 'vary.batching.batch_size', message: 'overlaps batching' },
  {
    fixture: 'camp-vary-alias-section.yaml',
    line: 6,
    path: 'vary.pytorch.torch_compile',
    message: 'vary its parameters as transformers.torch_compile',
  },
  { fixture: 'camp-base-bad-field.yaml', line: 5, path: 'base_config.model.fp_precision', message: 'got "fp8"' },
  {
    fixture: 'camp-vary-unknown-engine-key.yaml',
    line: 7,
    path: 'vary.vllm.max_num_seq',
    message: 'is not a vllm parameter',
  },
  {
    fixture: 'camp-vary-engine-key-wrong-section.yaml',
    line: 7,
    path: 'vary.transformers.max_num_seqs',
    message: '"max_num_seqs" is a vllm parameter, not a transformers one',
  },
  {
    fixture: 'camp-schedule-cron-type.yaml',
    line: 4,
    path: 'schedule.cron',
    message: 'expected a string or a list, got 5',
  },
  {
    fixture: 'camp-schedule-bad-overlap.yaml',
    line: 5,
    path: 'schedule.overlap',
    message: 'expected one of "queue", "skip", got "wait"',
  },
  { fixture: 'camp-experiment-field-at-top.yaml', line: 2, path: 'model', message: 'goes under base_config:' },
  { fixture: 'camp-base-without-vary.yaml', line: 2, path: 'base_config', message: 'base_config needs vary:' },
  { fixture: 'camp-negative-seed.yaml', line: 4, path: 'seed', message: 'expected an integer >= 0, got -1' },
  {
    fixture: 'camp-missing-model-in-base.yaml',
    line: 2,
    path: 'base_config.model',
    message: 'required field is missing',
  },
];

describe('malformed config corpus', () => {
  it('covers every fixture file (at least 25)', () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(CORPUS.map((c) => c.fixture).sort()).toEqual(files);
  });

  it.each(CORPUS)('$fixture: line $line, $path', ({ fixture, file, line, path, message }) => {
    const result = loadConfigFile(join(DIR, fixture));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.exitCode).toBe(2);
    const issues = result.error.issues ?? [];
    const where = join(DIR, file ?? fixture);
    const match = issues.find(
      (i) =>
        i.location?.file === where &&
        i.location.line === line &&
        (i.path ?? null) === path &&
        i.message.includes(message),
    );
    // On failure, show what was reported instead.
    expect(match, issues.map(formatIssue).join('\n')).toBeDefined();
    // The rendered line names the file, line, column and field path, in that order.
    const rendered = formatIssue(match!);
    expect(rendered).toMatch(
      new RegExp(
        `^${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: ${path ? `${path.replace(/[.[\]]/g, '\\$&')}: ` : ''}`,
      ),
    );
  });
});
