import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slurmCommands, maxGpusPerNode } from '../../src/slurm/commands.js';
import { jobComment, jobScript } from '../../src/slurm/job-script.js';
import { SlurmSection } from '../../src/slurm/settings.js';
import { isFinished, type JobInfo } from '../../src/slurm/job-state.js';

// Runs against the real single-node Slurm that scripts/slurm-up.sh starts (4 pretend GPUs), with the real
// Docker engine on that node and the local lem/synthetic image.
const slurm = slurmCommands();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lem-slurm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function campaignContainers(campaignId: string): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`org.lem.campaign=${campaignId}`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}

async function until(ids: string[], done: (jobs: JobInfo[]) => boolean, ms = 60_000): Promise<JobInfo[]> {
  const t0 = Date.now();
  for (;;) {
    const r = await slurm.show(ids);
    if (!r.ok) throw new Error(r.error.message);
    if (done(r.value)) return r.value;
    if (Date.now() - t0 > ms) throw new Error(`jobs ${ids.join(',')} still ${r.value.map((j) => j.state).join(',')}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

function script(campaignId: string, batches: string[], command: (b: string) => string[], gpus = 1): string {
  const text = jobScript({
    campaignId,
    gpus,
    settings: SlurmSection.parse({ exclusive: false }),
    outDir: dir,
    batches: batches.map((b) => ({
      batchId: b,
      run: {
        image: 'lem/synthetic:latest',
        name: `lem-${campaignId}-${b}`,
        mounts: [{ source: dir, target: '/out', readOnly: false }],
        env: { LEM_TEST: '1' },
        secretNames: [],
        command: command(b),
        gpus: false,
        labels: { 'org.lem.campaign': campaignId },
      },
    })),
  });
  const path = join(dir, `${campaignId}.sbatch`);
  writeFileSync(path, text);
  return path;
}

describe('Slurm commands against a real Slurm', () => {
  it('sees the partition and its 4 GPUs', async () => {
    const p = await slurm.partitions();
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.some((x) => maxGpusPerNode(x.gres) === 4)).toBe(true);
  });

  it('runs a batch job whose container writes its events file, and finds it by its comment', async () => {
    const path = script('c1', ['b1'], () => [
      'python3',
      '-c',
      'import os; print(\'{"event":"x","gpus":"\' + os.environ["LEM_TEST"] + \'"}\')',
    ]);
    const id = await slurm.submit(path);
    expect(id.ok).toBe(true);
    if (!id.ok) return;
    const listed = await slurm.listByComment(jobComment('c1'));
    expect(listed.ok && listed.value.map((j) => j.jobId)).toContain(id.value);
    const [job] = await until([id.value], (j) => j.length === 1 && isFinished(j[0]!.phase));
    expect(job!.phase).toBe('completed');
    expect(readFileSync(join(dir, `b1.${id.value}.events.jsonl`), 'utf8').trim()).toBe('{"event":"x","gpus":"1"}');
  });

  it('runs several batches as one job array, each task its own batch and GPU', async () => {
    const path = script('c2', ['a', 'b', 'c'], (b) => ['python3', '-c', `print("${b}")`]);
    const id = await slurm.submit(path);
    expect(id.ok).toBe(true);
    if (!id.ok) return;
    const jobs = await until([id.value], (j) => j.length === 3 && j.every((x) => isFinished(x.phase)));
    expect(jobs.map((j) => j.phase)).toEqual(['completed', 'completed', 'completed']);
    for (const [i, b] of ['a', 'b', 'c'].entries()) {
      expect(readFileSync(join(dir, `${b}.${id.value}_${i}.events.jsonl`), 'utf8').trim()).toBe(b);
    }
  });

  it('cancels a running job; its state says cancelled', { timeout: 90_000 }, async () => {
    const path = script('c3', ['long'], () => ['sleep', '60']);
    const id = await slurm.submit(path);
    if (!id.ok) throw new Error(id.error.message);
    await until([id.value], (j) => j[0]?.phase === 'running');
    expect((await slurm.cancel([id.value])).ok).toBe(true);
    const [job] = await until([id.value], (j) => isFinished(j[0]!.phase));
    expect(job!.phase).toBe('cancelled');
    // The container goes with its job: nothing of the campaign is left running on the node.
    for (let i = 0; i < 50 && (await campaignContainers('c3')).length > 0; i++)
      await new Promise((res) => setTimeout(res, 200));
    expect(await campaignContainers('c3')).toEqual([]);
  });

  it('says clearly when a command is missing', async () => {
    const none = slurmCommands({ env: { PATH: '/nonexistent' } });
    const r = await none.partitions();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/sinfo not found on PATH/);
  });
});
