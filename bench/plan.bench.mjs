// Bench: `lem campaign plan --json` on a 10,000-experiment grid, end to end as a process (start-up, YAML, zod
// validation of every experiment, hashing, planning, JSON out). Target: median wall time < 1 s on 2 cores.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 1000;
const RUNS = 5;
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

// 10 batch sizes x 10 output lengths x 10 temperatures = 1,000 common combinations, times
// transformers 2 + vllm 5 + tensorrt 3 backend-only values = 10 sub-grids: 10,000 experiments.
const campaign = `campaign_name: bench-10k
base_config:
  model: {name: Qwen/Qwen2.5-0.5B-Instruct, fp_precision: fp16}
  prompts: {category: short, count: 8}
vary:
  backend: [transformers, vllm, tensorrt]
  batching.batch_size: [${range(10, (i) => i + 1).join(', ')}]
  max_output_tokens: [${range(10, (i) => 16 * (i + 1)).join(', ')}]
  decoder.temperature: [${range(10, (i) => i / 10).join(', ')}]
  transformers.attn_implementation: [eager, sdpa]
  vllm.max_num_seqs: [8, 16, 32, 64, 128]
  tensorrt.max_batch_size: [8, 16, 32]
`;

const dir = mkdtempSync(join(tmpdir(), 'lem-bench-plan-'));
const file = join(dir, 'bench-10k.yaml');
writeFileSync(file, campaign);

function planOnce() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/lem.js'), 'campaign', 'plan', file, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`lem campaign plan exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

try {
  const first = planOnce();
  const count = JSON.parse(first.stdout).experiments.length;
  if (count !== 10_000) throw new Error(`expected 10000 experiments, got ${count}`);
  const times = [first.ms, ...range(RUNS - 1, () => planOnce().ms)].sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `lem campaign plan --json, 10,000 experiments (${(first.stdout.length / 1e6).toFixed(1)} MB of JSON): ` +
      `runs ${times.map((t) => t.toFixed(0)).join(', ')} ms; median ${median.toFixed(0)} ms (target < ${TARGET_MS} ms)`,
  );
  console.log(median < TARGET_MS ? 'PASS' : 'FAIL');
  process.exitCode = median < TARGET_MS ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
