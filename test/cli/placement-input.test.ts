import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectOptions } from '../../src/cli/project-options.js';

// `placement: pack` against the GPU inventory, through the built CLI: a campaign that cannot be placed exits 2
// with file:line:column and the field, before any campaign is created or container started. The inventory is the
// test aid LEM_GPUS (pretend GPUs); with LEM_GPUS=0 the node has none.

const BIN = resolve('bin/lem.js');
const dir = mkdtempSync(join(tmpdir(), 'lem-placement-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  if (!existsSync('dist/placement/check.js')) throw new Error('dist/ is missing: run `npm run build` first');
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  synthetic:\n    image: lem/synthetic:latest\n');
});

function run(campaign: string, gpus: string) {
  writeFileSync(join(dir, 'c.yaml'), campaign);
  const env = { ...process.env, LEM_GPUS: gpus, LEM_PROJECT_DIR: dir, DOCKER_HOST: 'unix:///nonexistent.sock' };
  const r = spawnSync(process.execPath, [BIN, 'campaign', 'run', 'c.yaml'], { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const campaign = (extra: string, vary = '  batching.batch_size: [1, 2]') => `campaign_name: bad
placement: pack
${extra}base_config:
  backend: synthetic
  model: {name: m}
  gpus: 1
vary:
${vary}
`;

describe('placement: pack against the inventory (exit 2, file:line:field)', () => {
  it('pins to a GPU the node lacks, at the vary value that pins it', () => {
    const r = run(campaign('', '  gpus: [[0], [7]]'), '4');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(
      /c\.yaml:8:\d+.*vary\.gpus\[1\].*pinned to GPU 7, which is not on this node \(its GPUs: 0, 1, 2, 3\)/,
    );
  });

  it('pins outside gpu_ids, repeated pins, and gpu_ids naming a missing GPU', () => {
    const r = run(campaign('gpu_ids: [0, 1, 9]\n', '  gpus: [[2], [1, 1]]'), '4');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/c\.yaml:3:\d+.*gpu_ids\[2\].*GPU 9 is not on this node/);
    expect(r.out).toMatch(/c\.yaml:9:\d+.*vary\.gpus\[0\].*pinned to GPU 2, which gpu_ids leaves out/);
    expect(r.out).toMatch(/c\.yaml:9:\d+.*vary\.gpus\[1\].*GPU 1 is pinned twice/);
  });

  it('a count larger than the usable GPUs, at base_config', () => {
    const r = run(campaign('').replace('gpus: 1', 'gpus: 3'), '2');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/c\.yaml:6:\d+.*base_config\.gpus.*gpus: 3 needs 3 GPUs; lem may use 2 \(0, 1\)/);
  });

  it('pack on a node without GPUs', () => {
    const r = run(campaign(''), '0');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/c\.yaml:2:\d+.*placement.*needs at least one GPU/);
    expect(existsSync(join(dir, '.state', 'campaigns')) ? readdirSync(join(dir, '.state', 'campaigns')) : []).toEqual(
      [],
    );
  });

  it('LEM_GPUS is read at the CLI edge, as given', () => {
    expect(projectOptions(undefined, { LEM_GPUS: '4' }, '/x').pretendGpus).toBe('4');
    expect(projectOptions(undefined, {}, '/x').pretendGpus).toBeUndefined();
    const r = run(campaign(''), 'lots');
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('LEM_GPUS=lots is not a number of pretend GPUs');
  });
});
