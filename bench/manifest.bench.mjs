// Cost per manifest event must not grow with the campaign (the journal is appended per event; the snapshot is
// rewritten only every so many events). Two measurements:
//  1. the store alone: 2 updates per experiment (running, completed) plus a status change at each end, for
//     campaigns of 1,000 and 10,000 experiments: time per experiment;
//  2. the real CLI: `lem campaign run` of 1,000 and 10,000 zero-work experiments in one exec of the synthetic
//     container: orchestrator CPU time (user + system of the lem process) per experiment.
// Target for both: per-experiment time at 10,000 within 1.5x of that at 1,000.
// Needs: npm run build; for (2) a Docker engine and lem/synthetic:latest (bash scripts/build-images.sh).
// LEM_BENCH_CLI_SIZES=1000,10000 (default) picks the CLI sizes; LEM_BENCH_CLI_SIZES= (empty) skips (2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 1.5;
const { ManifestStore } = await import(join(REPO, 'dist/campaign/manifest-store.js'));
const { pendingEntry } = await import(join(REPO, 'dist/campaign/manifest.js'));

function storeRun(n) {
  const dir = mkdtempSync(join(tmpdir(), 'lem-bench-manifest-'));
  const now = new Date().toISOString();
  const experiments = Array.from({ length: n }, (_, i) =>
    pendingEntry({
      id: `${String(i).padStart(5, '0')}-c1-synthetic-h`,
      index: i,
      cycle: 1,
      backend: 'synthetic',
      config_hash: 'h',
    }),
  );
  const store = ManifestStore.create(dir, {
    schema_version: 1,
    campaign_id: 'bench',
    campaign_name: 'bench',
    campaign_file: 'b.yaml',
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'planned',
    experiments,
  });
  const t0 = performance.now();
  store.setStatus('running');
  for (const e of experiments) {
    store.update(e.id, {
      status: 'running',
      attempts: 1,
      started_at: new Date().toISOString(),
      container: 'c',
      log_path: 'l',
    });
    store.update(e.id, {
      status: 'completed',
      finished_at: new Date().toISOString(),
      result_path: `results/${e.id}/result.json`,
    });
  }
  store.setStatus('completed');
  const ms = performance.now() - t0;
  const loaded = ManifestStore.load(dir);
  if (!loaded.ok || loaded.value.current.experiments.some((e) => e.status !== 'completed'))
    throw new Error('store bench: state lost');
  rmSync(dir, { recursive: true, force: true });
  return ms / n;
}

function verdict(small, large, unit) {
  const ratio = large / small;
  return `${small.toFixed(3)} ${unit} at 1,000 vs ${large.toFixed(3)} ${unit} at 10,000: ${ratio.toFixed(2)}x  [target <= ${TARGET}x: ${ratio <= TARGET ? 'PASS' : 'FAIL'}]`;
}

let failed = false;
storeRun(500); // warm the JIT
const s1 = storeRun(1000);
const s10 = storeRun(10000);
console.log(`store alone, per experiment (2 journalled events each): ${verdict(s1, s10, 'ms')}`);
failed ||= s10 / s1 > TARGET;

// A campaign of n zero-work experiments: one config repeated over cycles, ten output lengths per cycle.
function campaignYaml(n) {
  return `campaign_name: bench-manifest-${n}
cycles: ${n / 10}
retries: 0
base_config:
  backend: synthetic
  model: {name: zero-work}
  prompts: {count: 1}
  measurement: {idle_baseline_s: 0, sampling: false, warmup: {max_runs: 1, min_runs: 0, window: 2}}
  synthetic: {tokens_per_second: 1000000000, ttft_ms: 0, load_s: 0}
vary:
  max_output_tokens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
`;
}

function cliRun(n) {
  const dir = mkdtempSync(join(tmpdir(), 'lem-bench-manifest-cli-'));
  writeFileSync(
    join(dir, 'compose.yaml'),
    readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('./docker/harness:', `${join(REPO, 'docker/harness')}:`),
  );
  writeFileSync(join(dir, 'c.yaml'), campaignYaml(n));
  const env = { ...process.env, LEM_PROJECT_NAME: `benchm${Date.now().toString(36)}`, LEM_GPU: '0', FORCE_COLOR: '0' };
  const t0 = performance.now();
  // GNU time reports the CPU the lem process itself used: the orchestrator's cost, apart from the container's.
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'LEMCPU %U %S', process.execPath, join(REPO, 'bin/lem.js'), 'campaign', 'run', 'c.yaml', '--json'],
    { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const wall = performance.now() - t0;
  const cpu = /LEMCPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0 || !cpu)
    throw new Error(`lem campaign run of ${n} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  const counts = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('\n{') + 1)).counts;
  if (counts.completed !== n) throw new Error(`only ${counts.completed} of ${n} completed`);
  return { cpuMs: (1000 * (Number(cpu[1]) + Number(cpu[2]))) / n, wallMs: wall / n };
}

const sizes = (process.env.LEM_BENCH_CLI_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
const cli = [];
for (const n of sizes) {
  // Printed as soon as measured: the 10,000 run takes many minutes on a busy machine.
  cli.push(cliRun(n));
  const { cpuMs, wallMs } = cli.at(-1);
  console.log(
    `lem campaign run of ${n}: orchestrator CPU ${cpuMs.toFixed(2)} ms per experiment (wall ${wallMs.toFixed(2)} ms)`,
  );
}
if (cli.length === 2) {
  console.log(`lem campaign run, orchestrator CPU per experiment: ${verdict(cli[0].cpuMs, cli[1].cpuMs, 'ms')}`);
  failed ||= cli[1].cpuMs / cli[0].cpuMs > TARGET;
} else console.log('lem campaign run: no verdict (LEM_BENCH_CLI_SIZES is not two sizes)');
process.exitCode = failed ? 1 : 0;
