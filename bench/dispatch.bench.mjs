// Dispatch overhead of `lem campaign run` (issue 3), measured against the real Docker engine and image:
//  1. median time per experiment that the orchestrator adds around a zero-work synthetic experiment
//     (exec, events, manifest writes, result collection); target < 150 ms;
//  2. the same 20 zero-work experiments dispatched (a) by exec into one long-running container and
//     (b) with a fresh `docker run --rm` per experiment (what the seed's tool did); target (a) >= 3x faster.
// Needs: npm run build, a Docker engine, lem/synthetic:latest (bash scripts/build-images.sh).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = 20;
const { connect, createCampaign, executeCampaign, backendContainers } = await import(
  join(REPO, 'dist/campaign/session.js')
);
const { ExperimentConfig } = await import(join(REPO, 'dist/config/experiment.js'));
const { configHash } = await import(join(REPO, 'dist/config/hash.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// A zero-work experiment: no idle baseline, one warmup run, one prompt, one token at a huge rate.
function zeroWork(i) {
  const config = ExperimentConfig.parse({
    backend: 'synthetic',
    model: { name: 'zero-work' },
    max_output_tokens: 1,
    // Each experiment loads its own engine (force_cold_start): one exec per experiment, as the per-experiment
    // figure requires.
    force_cold_start: true,
    prompts: { count: 1 },
    measurement: { idle_baseline_s: 0, sampling: false, warmup: { max_runs: 1, min_runs: 0, window: 2 } },
    synthetic: { tokens_per_second: 1e9, ttft_ms: 0, load_s: 0 },
    name: `zero-${i}`,
  });
  const hash = configHash(config);
  return {
    id: `${String(i).padStart(4, '0')}-c1-synthetic-${hash}`,
    index: i,
    cycle: 1,
    backend: 'synthetic',
    config_hash: hash,
    config,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'lem-bench-dispatch-'));
writeFileSync(
  join(dir, 'compose.yaml'),
  readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('./docker/harness:', `${join(REPO, 'docker/harness')}:`),
);
process.env.LEM_PROJECT_NAME = `bench${Date.now().toString(36)}`;
process.env.LEM_GPU = '0';

const c = await connect(dir);
if (!c.ok) throw new Error(c.error.message);
const { project, docker } = c.value;

// Bring the backend up first: start-up is paid once per campaign, not per experiment.
const containers = backendContainers(docker, project, ['synthetic']);
const backend = containers.value.get('synthetic');
await backend.up();
const h = await backend.waitHealthy(60_000);
if (!h.ok) throw new Error(h.error.message);

// (a) exec into the long-running container, through lem's own runner.
const plan = {
  campaign: { name: 'bench-dispatch', retries: 0, thermal_gap_s: 0, force_cold_start: true },
  experiments: Array.from({ length: N }, (_, i) => zeroWork(i)),
};
const store = createCampaign(project, plan, 'bench');
const doneAt = [];
let startedAt = 0;
const progress = {
  waiting() {},
  begin() {
    startedAt = performance.now();
  },
  phase() {},
  done(id, outcome) {
    if (!outcome.startsWith('completed')) throw new Error(`${id}: ${outcome}`);
    doneAt.push(performance.now());
  },
  note() {},
  end() {},
};
const t0 = performance.now();
const r = await executeCampaign(docker, project, store, plan, {
  keepBackends: true,
  signal: new AbortController().signal,
  progress,
  healthTimeoutMs: 60_000,
});
const execTotal = performance.now() - t0;
if (!r.ok || r.value.counts.completed !== N)
  throw new Error(`exec run failed: ${JSON.stringify(r.ok ? r.value.counts : r.error)}`);
const cycle = doneAt.map((t, i) => t - (i === 0 ? startedAt : doneAt[i - 1]));
// What the harness itself spent inside each experiment (load, baseline, warmup, measured window): not dispatch.
const harnessWork = store.current.experiments.map((e) => {
  const doc = JSON.parse(readFileSync(join(dir, e.result_path), 'utf8'));
  const t = doc.timing;
  return 1000 * ((t.engine_load_s ?? 0) + t.idle_baseline_s + t.warmup_s + t.measured_s);
});
const overhead = cycle.map((ms, i) => ms - harnessWork[i]);

// (b) a fresh `docker run --rm` per experiment, same specs, same mounts, same image.
const state = join(dir, '.state-run');
mkdirSync(state, { recursive: true });
const results = join(dir, 'results-run');
mkdirSync(results, { recursive: true });
// Give (b) its best case: a bytecode cache that survives between its containers, so it is not charged for
// recompiling the harness on every run.
const pycache = join(dir, 'pycache-run');
mkdirSync(pycache, { recursive: true });
const runTimes = [];
for (const e of plan.experiments) {
  const spec = {
    schema_version: 1,
    campaign_id: 'bench-run',
    batch_id: `run-${e.index}`,
    results_dir: '/app/results',
    experiments: [
      {
        experiment_id: e.id,
        config_hash: e.config_hash,
        cycle: 1,
        index: e.index,
        attempt: 1,
        pause_before_s: 0,
        config: e.config,
      },
    ],
  };
  writeFileSync(join(state, `${e.index}.json`), JSON.stringify(spec));
  const s = performance.now();
  const p = spawnSync(
    'docker',
    [
      'run',
      '--rm',
      '--init',
      '-e',
      'PYTHONPATH=/app/harness',
      '-v',
      `${join(REPO, 'docker/harness')}:/app/harness:ro`,
      '-v',
      `${state}:/app/.state`,
      '-v',
      `${results}:/app/results`,
      '-v',
      `${pycache}:/tmp/lem-pycache`,
      'lem/synthetic:latest',
      'python3',
      '-m',
      'lem_harness',
      'run',
      `/app/.state/${e.index}.json`,
    ],
    { encoding: 'utf8' },
  );
  runTimes.push(performance.now() - s);
  if (p.status !== 0 || !existsSync(join(results, 'bench-run', e.id, 'result.json')))
    throw new Error(`docker run failed: ${p.stderr}`);
}
const runTotal = runTimes.reduce((a, b) => a + b, 0);
const execLoop = doneAt.at(-1) - startedAt;

// (c) for context: lem's default dispatch of the same 20 experiments. Without force_cold_start they share one
// loaded engine, so they go into a single exec batch, which is what a campaign of such experiments gets.
const batchedPlan = {
  campaign: { name: 'bench-dispatch-batched', retries: 0, thermal_gap_s: 0, force_cold_start: false },
  experiments: plan.experiments.map((e) => {
    const config = { ...e.config, force_cold_start: false };
    return { ...e, config, config_hash: configHash(config) };
  }),
};
const batchedStore = createCampaign(project, batchedPlan, 'bench');
const t1 = performance.now();
const rb = await executeCampaign(docker, project, batchedStore, batchedPlan, {
  keepBackends: true,
  signal: new AbortController().signal,
  progress: {
    ...progress,
    begin() {},
    done(id, outcome) {
      if (!outcome.startsWith('completed')) throw new Error(`${id}: ${outcome}`);
    },
  },
  healthTimeoutMs: 60_000,
});
const batchedTotal = performance.now() - t1;
if (!rb.ok || rb.value.counts.completed !== N)
  throw new Error(`batched run failed: ${JSON.stringify(rb.ok ? rb.value.counts : rb.error)}`);

await backend.down();
rmSync(dir, { recursive: true, force: true });

const perExp = median(overhead);
const ratio = runTotal / execLoop;
console.log(`zero-work experiments: ${N}`);
console.log(
  `(a) exec into one long-running container: ${execLoop.toFixed(0)} ms for ${N} experiments (median ${median(cycle).toFixed(1)} ms each; whole executeCampaign call incl. health check ${execTotal.toFixed(0)} ms)`,
);
console.log(
  `    orchestrator-added time per experiment (cycle minus harness-reported work): median ${perExp.toFixed(1)} ms, min ${Math.min(...overhead).toFixed(1)}, max ${Math.max(...overhead).toFixed(1)}  [target < 150 ms: ${perExp < 150 ? 'PASS' : 'FAIL'}]`,
);
console.log(
  `(b) fresh docker run --rm per experiment: ${runTotal.toFixed(0)} ms for ${N} experiments (median ${median(runTimes).toFixed(1)} ms each)`,
);
console.log(`    (a) is ${ratio.toFixed(1)}x faster than (b)  [target >= 3x: ${ratio >= 3 ? 'PASS' : 'FAIL'}]`);
console.log(
  `(c) lem's default dispatch of the same 20 (one shared engine, one exec batch): ${batchedTotal.toFixed(0)} ms in all, ${(runTotal / batchedTotal).toFixed(1)}x faster than (b)`,
);
console.log(
  `    floor of (a): a bare \`docker exec true\` and \`python3 -c pass\` cost about 45 and 55 ms here (measured by hand, see the issue note)`,
);
process.exitCode = perExp < 150 && ratio >= 3 ? 0 : 1;
