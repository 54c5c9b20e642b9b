import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanPlacement } from '../../src/placement/plan-placement.js';

// `lem campaign plan` on a `placement: pack` campaign, through the built CLI: the placement simulated on 4 pretend
// GPUs (the test aid LEM_GPUS), in text and --json.

const BIN = resolve('bin/lem.js');
const dir = mkdtempSync(join(tmpdir(), 'lem-plan-placement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  if (!existsSync('dist/placement/plan-placement.js')) throw new Error('dist/ is missing: run `npm run build` first');
});

// Two cycles of tp 1 and tp 2, two batch sizes each: batches of two experiments needing 1 or 2 GPUs.
const CAMPAIGN = `campaign_name: pp
placement: pack
cycles: 2
base_config:
  backend: vllm
  model: {name: m}
vary:
  vllm.tensor_parallel_size: [1, 2]
  batching.batch_size: [1, 4]
`;

function plan(gpus: string, ...args: string[]) {
  writeFileSync(join(dir, 'c.yaml'), CAMPAIGN);
  const env = { ...process.env, LEM_GPUS: gpus };
  const argv = [BIN, 'campaign', 'plan', 'c.yaml', ...args];
  const r = spawnSync(process.execPath, argv, { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('lem campaign plan with placement: pack', () => {
  it('--json: every experiment placed once, on disjoint GPU sets at any instant, with the parallelism it gives', () => {
    const r = plan('4', '--json');
    expect(r.code, r.stderr).toBe(0);
    type Exp = { id: string; config: { vllm: { tensor_parallel_size: number } } };
    const out = JSON.parse(r.stdout) as { experiments: Exp[]; placement: PlanPlacement };
    const tp = new Map(out.experiments.map((e) => [e.id, e.config.vllm.tensor_parallel_size]));
    const p = out.placement;
    expect(p.gpus).toEqual([0, 1, 2, 3]);
    const placed = p.batches.flatMap((b) => b.experiments);
    expect([...placed].sort()).toEqual(out.experiments.map((e) => e.id).sort());
    for (const b of p.batches) {
      // tp 2 needs two GPUs, tp 1 one; a batch lasts one unit per experiment.
      for (const id of b.experiments) expect(b.gpus).toHaveLength(tp.get(id)!);
      expect(b.end - b.start).toBe(b.experiments.length);
      for (const o of p.batches) {
        if (o === b || o.end <= b.start || b.end <= o.start) continue;
        expect(o.gpus.filter((g) => b.gpus.includes(g))).toEqual([]);
      }
    }
    expect(p.serial).toBe(8);
    expect(p.makespan).toBe(Math.max(...p.batches.map((b) => b.end)));
    expect(p.parallelism).toBeCloseTo(p.serial / p.makespan);
    // Three batches fit on 4 GPUs at once (1 + 2 + 1), so the run takes fewer units than one after another.
    expect(p.batches.filter((b) => b.start === 0)).toHaveLength(3);
    expect(p.makespan).toBeLessThan(p.serial);
  });

  it('text: a table of batches with their GPU set, start and end after the experiments', () => {
    const r = plan('4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/placement: pack on GPU 0, 1, 2, 3, simulated .*: 4 batches end at 4 units/);
    expect(r.stdout).toMatch(/^ +0 +vllm +0 +0 +2 +0-1$/m);
    expect(r.stdout).toMatch(/^ +3 +vllm +1,2 +2 +4 +6-7$/m);
  });

  it('a node that cannot place it: the plan still, the problems as warnings, no placement', () => {
    const r = plan('0', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).placement).toBeUndefined();
    expect(r.stderr).toMatch(/c\.yaml:2:1: placement: placement: pack needs at least one GPU/);
    expect(r.stderr).toContain('placement not simulated');
  });

  it('bad LEM_GPUS is bad input: exit 2', () => {
    expect(plan('many').code).toBe(2);
  });
});
