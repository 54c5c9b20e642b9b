import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Plan } from '../../src/campaign/plan.js';

/** Runs the built CLI as a real process, as a user would (npm test builds first). */
function lem(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/lem.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync('dist/cli/config-validate.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});

const FIX = 'test/fixtures/invalid';

describe('lem config validate', () => {
  it('exits 0 on every example file, saying what each is', () => {
    const r = lem(
      'config',
      'validate',
      'configs/transformers.yaml',
      'configs/vllm.yaml',
      'configs/tensorrt.yaml',
      'configs/synthetic.yaml',
      'campaigns/demo.yaml',
      'campaigns/cross-backend.yaml',
      'campaigns/full-backend-sweep.yaml',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok +configs\/vllm\.yaml \(experiment, backend vllm, config hash [0-9a-f]{12}\)$/m);
    expect(r.stdout).toMatch(/^ok +campaigns\/full-backend-sweep\.yaml \(campaign, 6 experiments, 12 runs\)$/m);
  });

  it('exits 2 with file:line:column, field path and expectation, and no stack trace', () => {
    const r = lem('config', 'validate', `${FIX}/exp-bad-precision.yaml`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${FIX}/exp-bad-precision.yaml:4:3: model.fp_precision: expected one of "fp32", "fp16", "bf16", got "fp8"`,
    );
    expect(r.stderr).toMatch(/^LEM002: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports every problem of every file, and still confirms the valid ones', () => {
    const r = lem(
      'config',
      'validate',
      'configs/vllm.yaml',
      `${FIX}/camp-vary-bad-value.yaml`,
      `${FIX}/exp-vllm-key-in-transformers.yaml`,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('ok   configs/vllm.yaml');
    expect(r.stderr).toContain('2 of 3 files invalid');
    expect(r.stderr).toContain(
      `${FIX}/camp-vary-bad-value.yaml:8:7: vary.batching.batch_size[1]: expected an integer > 0, got 0`,
    );
    expect(r.stderr).toContain(
      `${FIX}/exp-vllm-key-in-transformers.yaml:5:3: transformers.max_num_seqs: "max_num_seqs" is a vllm parameter, not a transformers one`,
    );
  });

  it('a missing file is exit 2 naming it', () => {
    const r = lem('config', 'validate', 'configs/nope.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read configs/nope.yaml: no such file');
  });

  it('--json prints one document with a verdict per file', () => {
    const r = lem('config', 'validate', '--json', 'configs/vllm.yaml', `${FIX}/exp-typo-key.yaml`);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.files[0]).toMatchObject({ file: 'configs/vllm.yaml', valid: true, kind: 'experiment', backend: 'vllm' });
    expect(doc.files[1]).toMatchObject({
      valid: false,
      issues: [{ path: 'batching.batch_sise', location: { line: 4, column: 3 } }],
    });
  });

  it('warnings do not fail validation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lem-cli-'));
    writeFileSync(
      join(dir, 'dup.yaml'),
      'campaign_name: dup\nbase_config: {backend: synthetic, model: {name: m}}\nvary:\n  decoder.temperature: [0, 0.0]\n',
    );
    const r = lem('config', 'validate', join(dir, 'dup.yaml'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: .*dup\.yaml:3:1: vary: experiments #0 .* and #1 .* resolve to the same config/m,
    );
  });
});

describe('lem campaign plan', () => {
  it('prints the ordered table: index, id, cycle, backend, varied values, config hash', () => {
    const r = lem('campaign', 'plan', 'campaigns/full-backend-sweep.yaml');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^campaign full-backend-sweep \(.*campaigns\/full-backend-sweep\.yaml\)$/);
    expect(lines[1]).toBe('6 experiments × 2 cycles = 12 runs, interleaved, thermal gap 10 s, retries 1');
    expect(lines[3]).toMatch(/^index +id +cycle +backend +varied +config hash$/);
    const rows = lines.slice(5);
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatch(/^ +0 +0000-c1-transformers-([0-9a-f]{12}) +1 +transformers +batching\.batch_size=1 +\1$/);
    expect(rows[11]).toMatch(/^ +11 +0011-c2-vllm-[0-9a-f]{12} +2 +vllm +batching\.batch_size=8 /);
  });

  it('mode 1 shows each run’s experiment file', () => {
    const r = lem('campaign', 'plan', 'campaigns/cross-backend.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^index +id +cycle +backend +config file +config hash$/m);
    expect(r.stdout).toContain('configs/tensorrt.yaml');
  });

  it('--json prints the campaign settings and every experiment with its resolved config', () => {
    const r = lem('campaign', 'plan', 'campaigns/full-backend-sweep.yaml', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.campaign).toMatchObject({
      name: 'full-backend-sweep',
      cycles: 2,
      structure: 'interleaved',
      seed: 0,
      thermal_gap_s: 10,
      retries: 1,
      experiment_count: 6,
      run_count: 12,
      mode: 'grid',
    });
    expect(doc.experiments).toHaveLength(12);
    expect(Object.keys(doc.experiments[0]).sort()).toEqual([
      'backend',
      'config',
      'config_hash',
      'config_index',
      'cycle',
      'id',
      'index',
      'varied',
    ]);
    expect(doc.experiments[3]).toMatchObject({
      index: 3,
      cycle: 1,
      backend: 'vllm',
      varied: { backend: 'vllm', 'batching.batch_size': 1 },
    });
    expect(doc.experiments[3].config).toMatchObject({
      backend: 'vllm',
      model: { name: 'Qwen/Qwen2.5-0.5B-Instruct', fp_precision: 'fp16' },
      max_output_tokens: 256,
      vllm: { gpu_memory_utilization: 0.9 },
    });
    expect(Plan.safeParse(doc).success).toBe(true);
  });

  it('the same file gives the same plan every time', () => {
    const a = lem('campaign', 'plan', 'campaigns/demo.yaml', '--json');
    const b = lem('campaign', 'plan', 'campaigns/demo.yaml', '--json');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('an invalid campaign is exit 2 with every problem', () => {
    const r = lem('campaign', 'plan', `${FIX}/camp-base-unused-section.yaml`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `${FIX}/camp-base-unused-section.yaml:4:3: base_config.tensorrt: section "tensorrt" is for backend tensorrt`,
    );
  });

  it('--json errors are JSON on stdout too', () => {
    const r = lem('campaign', 'plan', `${FIX}/camp-zero-cycles.yaml`, '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'LEM002',
      issues: [{ path: 'cycles', location: { line: 3 } }],
    });
  });

  it('a missing campaign file is exit 2', () => {
    const r = lem('campaign', 'plan', 'campaigns/nope.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('campaigns/nope.yaml');
  });
});

describe('help', () => {
  it('lem --help lists both commands', () => {
    const r = lem('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config validate');
    expect(r.stdout).toContain('campaign plan');
  });

  it.each([
    ['config', 'validate'],
    ['campaign', 'plan'],
  ])('lem %s %s --help explains it with examples', (a, b) => {
    const r = lem(a, b, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toMatch(/Examples/);
  });
});
