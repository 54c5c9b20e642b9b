// Submission of a 1,000-batch campaign to the real Slurm (scripts/slurm-up.sh), as `lem campaign run` with
// executor: slurm does it: 1,000 batch specs written, job arrays scripted, sbatch, every job id recorded durably
// in slurm-jobs.jsonl; then one poll that reads back the state of all 1,000 tasks (squeue -r, parsed).
// Target: submission < 10 s on this machine. The jobs are submitted held (--hold) so that none of them runs,
// and all are cancelled afterwards.
// Needs: npm run build, a running Slurm (sinfo answers).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = 1000;
const TARGET_S = 10;
const dist = (p) => import(join(REPO, 'dist', p));
const { submitBatches } = await dist('slurm/run/submit.js');
const { slurmCommands } = await dist('slurm/commands.js');
const { jobComment, jobName } = await dist('slurm/job-script.js');
const { SlurmSection } = await dist('slurm/settings.js');
const { ExperimentConfig } = await dist('config/experiment.js');
const { configHash } = await dist('config/hash.js');
const { loadComposeProject } = await dist('runtime/compose-file.js');

const dir = mkdtempSync(join(tmpdir(), 'lem-slurm-bench-'));
const campaignId = `bench-${Date.now().toString(36)}`;
const slurm = slurmCommands();
writeFileSync(join(dir, 'compose.yaml'), (await import('node:fs')).readFileSync(join(REPO, 'compose.yaml'), 'utf8'));
const compose = loadComposeProject(dir, { withGpu: false, env: {} });
if (!compose.ok) throw new Error(compose.error.message);

// One experiment per batch (each loads its own engine): 1,000 batches.
const experiments = Array.from({ length: N }, (_, i) => {
  const config = ExperimentConfig.parse({
    backend: 'synthetic',
    model: { name: 'bench' },
    force_cold_start: true,
    batching: { batch_size: 1 + (i % 8) },
    name: `b${i}`,
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
});
const ctx = {
  slurm,
  settings: SlurmSection.parse({ exclusive: false, extra_sbatch: ['--hold'] }),
  paths: {
    projectDir: dir,
    hostResults: join(dir, 'results'),
    hostState: join(dir, '.state'),
    hostBatches: join(dir, '.state', 'batches'),
    containerResults: '/app/results',
    containerBatches: '/app/batches',
  },
  services: new Map(Object.entries(compose.value.services)),
  projectName: 'bench',
  campaignId,
  outDir: join(dir, '.state', 'campaigns', campaignId, 'slurm'),
  jobsFile: join(dir, '.state', 'campaigns', campaignId, 'slurm-jobs.jsonl'),
  thermalGapS: 0,
};

let code = 0;
try {
  const t0 = performance.now();
  const r = await submitBatches(
    ctx,
    experiments.map((e) => [e]),
    1,
    () => 0,
  );
  const submitS = (performance.now() - t0) / 1000;
  if (!r.ok) throw new Error(r.error.message);
  const t1 = performance.now();
  const listed = await slurm.listByComment(jobComment(campaignId), jobName(campaignId));
  const pollS = (performance.now() - t1) / 1000;
  if (!listed.ok) throw new Error(listed.error.message);
  const arrays = new Set(r.value.map((b) => b.job_id.split('_')[0])).size;
  const pending = listed.value.filter((j) => j.phase === 'pending').length;
  console.log(`submitted ${r.value.length} batches as ${arrays} job array(s) in ${submitS.toFixed(2)} s`);
  console.log(
    `one poll: ${listed.value.length} task states read and parsed in ${(pollS * 1000).toFixed(0)} ms ` +
      `(${pending} pending)`,
  );
  const pass = r.value.length === N && listed.value.length === N && submitS < TARGET_S;
  console.log(`${pass ? 'PASS' : 'FAIL'}: submission of ${N} batches < ${TARGET_S} s, every task's state read back`);
  if (!pass) code = 1;
} finally {
  const listed = await slurm.listByComment(jobComment(campaignId), jobName(campaignId));
  if (listed.ok) {
    const ids = [...new Set(listed.value.map((j) => j.jobId.split('_')[0]))];
    await slurm.cancel(ids);
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = code;
