import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, LEM_BIN, TestProject } from '../support/lem-project.js';

// lem doctor's Slurm checks and the shared-filesystem check of `campaign run`, against the real single-node
// Slurm. A results folder the compute node does not share is made real with a mount namespace: lem runs with a
// tmpfs over results/ that the job (started by slurmd, outside that namespace) never sees.

const projects: TestProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

const CAMPAIGN = `campaign_name: doc
executor: slurm
slurm: {partition: debug, exclusive: false}
base_config:
  backend: synthetic
  model: {name: synthetic-model}
vary:
  batching.batch_size: [1]
`;

/** Runs lem with results/ hidden behind a tmpfs of its own (needs root, as Slurm here does). */
function lemUnshared(p: TestProject, args: string[]) {
  mkdirSync(join(p.dir, 'results'), { recursive: true });
  const cmd = `mount -t tmpfs none "$1/results" && shift && exec "$@"`;
  const child = spawn('unshare', ['-m', 'sh', '-c', cmd, 'sh', p.dir, process.execPath, LEM_BIN, ...args], {
    cwd: p.dir,
    env: p.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, 90_000);
}

describe('Slurm checks', () => {
  it(
    'lem doctor --campaign checks commands, controller, partition, GPUs and the shared results folder',
    { timeout: 90_000 },
    async () => {
      const p = new TestProject('sldoc');
      projects.push(p);
      p.write('c.yaml', CAMPAIGN);
      const r = await p.lem(['doctor', '--campaign', 'c.yaml']);
      expect(r.stdout).toMatch(/ok {4}slurm commands: sbatch, squeue, scontrol, scancel, sinfo on PATH/);
      expect(r.stdout).toMatch(/ok {4}slurm partition: debug/);
      expect(r.stdout).toMatch(/ok {4}slurm GPUs: up to 4 GPU\(s\) per node/);
      expect(r.stdout).toMatch(/ok {4}shared filesystem: job \d+ on \S+ wrote into /);

      const u = await lemUnshared(p, ['doctor', '--slurm']);
      expect(u.code).toBe(1);
      expect(u.stdout).toMatch(/FAIL {2}shared filesystem: .*results is not shared with the compute nodes/);
    },
  );

  it(
    'campaign run refuses a results folder the nodes do not share: exit 2, no campaign, no batch submitted',
    { timeout: 90_000 },
    async () => {
      const p = new TestProject('slnoshare');
      projects.push(p);
      p.write('c.yaml', CAMPAIGN);
      const r = await lemUnshared(p, ['campaign', 'run', 'c.yaml']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/results is not shared with the compute nodes/);
      mkdirSync(join(p.dir, '.state', 'campaigns'), { recursive: true });
      expect(readdirSync(join(p.dir, '.state', 'campaigns'))).toEqual([]);
    },
  );
});
