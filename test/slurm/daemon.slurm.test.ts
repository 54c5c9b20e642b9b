import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonState } from '../../src/daemon/state.js';
import { TestProject } from '../support/lem-project.js';
import { manifestOf } from '../support/manifest-of.js';

// `lem daemon` with a scheduled campaign whose executor is Slurm: each cycle's batches are Slurm jobs on the real
// single-node Slurm that scripts/slurm-up.sh starts, each running lem/synthetic in the node's Docker.

const projects: TestProject[] = [];
const names: string[] = [];
afterEach(async () => {
  // Whatever a failed test left queued or running is cancelled (lem's jobs carry the comment lem:<campaign id>).
  for (const n of names.splice(0)) {
    const rows = execFileSync('squeue', ['-h', '-r', '-o', '%i|%k'], { encoding: 'utf8' }).split('\n');
    const ids = rows
      .map((l) => l.split('|'))
      .filter((r) => r[1]?.startsWith(`lem:${n}-`))
      .map((r) => r[0]!);
    if (ids.length > 0) execFileSync('scancel', ids);
  }
  for (const p of projects.splice(0)) await p.cleanup();
});

describe('lem daemon with executor: slurm', () => {
  it('runs each scheduled cycle as Slurm jobs, then exits 0 after max_cycles', { timeout: 200_000 }, async () => {
    const p = new TestProject('sldaemon');
    projects.push(p);
    const name = `sld${Math.random().toString(36).slice(2, 8)}`;
    names.push(name);
    mkdirSync(join(p.dir, 'campaigns'));
    p.write(
      'campaigns/s.yaml',
      `campaign_name: ${name}
executor: slurm
slurm: {partition: debug, exclusive: false, poll_interval_s: 0.3}
schedule: {cron: "*/3 * * * * *", max_cycles: 2}
base_config:
  backend: synthetic
  model: {name: synthetic-model}
  max_output_tokens: 8
  prompts: {count: 2}
  measurement: {idle_baseline_s: 0, warmup: {max_runs: 1, min_runs: 1, window: 2}}
vary:
  batching.batch_size: [1, 2]
`,
    );
    const r = await p.lem(['daemon'], { timeoutMs: 190_000 });
    expect(r.code, r.stderr).toBe(0);
    const state = DaemonState.parse(JSON.parse(readFileSync(join(p.dir, '.state', 'daemon', 'state.json'), 'utf8')));
    const record = Object.values(state.campaigns).find((c) => c.name === name)!;
    const m = manifestOf(p.dir, record.campaign_id);
    // Two cycles of two experiments, each completed once, each in a Slurm job.
    expect(m.experiments.map((e) => [e.cycle, e.status, e.attempts])).toEqual([
      [1, 'completed', 1],
      [1, 'completed', 1],
      [2, 'completed', 1],
      [2, 'completed', 1],
    ]);
    for (const e of m.experiments) expect(e.container).toMatch(/^slurm job \S+ on \S+/);
    const jobs = readFileSync(join(p.dir, '.state', 'campaigns', record.campaign_id, 'slurm-jobs.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"submitted"'));
    expect(jobs.length).toBeGreaterThanOrEqual(2);
  });
});
