import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Inputs built to crash, hang or exhaust lem, given to the built CLI as a real process. The heap is capped at
 * 300 MB (--max-old-space-size), so an input that made lem read or build too much would fail the test with
 * an out-of-memory crash; the spawn timeout turns a hang (a FIFO read) into a failure instead of a stuck suite.
 */
interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when lem did not finish by itself (killed at the timeout). */
  readonly error?: string;
}

function lem(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    const opts = { encoding: 'utf8' as const, timeout: 20_000, maxBuffer: 1 << 24, env: { ...process.env, ...env } };
    execFile(process.execPath, ['--max-old-space-size=300', 'bin/lem.js', ...args], opts, (e, stdout, stderr) => {
      const status = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      done({
        status,
        stdout,
        stderr,
        ...(e?.killed || e?.signal ? { error: `killed (${e.signal ?? 'timeout'})` } : {}),
      });
    });
  });
}

beforeAll(() => {
  if (!existsSync('dist/cli/config-validate.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});

const tmp = (): string => mkdtempSync(join(tmpdir(), 'lem-hostile-'));
const GRID = 'base_config:\n  backend: synthetic\n  model: {name: m}\nvary:\n  batching.batch_size: [1, 2]\n';

/** Exit 2, a LEM code, no stack trace, and `text` in the message. */
function refused(r: Run, text: string): void {
  expect(r.error, 'lem did not finish (hung or was killed)').toBeUndefined();
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^LEM00\d: /);
  expect(r.stderr).not.toMatch(/\n\s+at |heap|FATAL/);
  expect(r.stderr).toContain(text);
}

describe('files that are not small regular files', () => {
  it('a 50 MB YAML file is refused before it is read', async () => {
    const file = join(tmp(), 'big.yaml');
    const fd = openSync(file, 'w');
    const mib = Buffer.alloc(1024 * 1024, 'key: "a value"\n');
    for (let i = 0; i < 50; i++) writeSync(fd, mib);
    closeSync(fd);
    refused(await lem(['config', 'validate', file]), 'is 50 MB, larger than the 10 MB a config file may be');
    refused(await lem(['campaign', 'plan', file]), 'larger than the 10 MB');
  });

  it('LEM_MAX_CONFIG_BYTES sets the limit', async () => {
    const file = join(tmp(), 'c.yaml');
    writeFileSync(file, `campaign_name: small\n${GRID}`);
    refused(
      await lem(['config', 'validate', file], { LEM_MAX_CONFIG_BYTES: '50' }),
      'larger than the 50 bytes a config file may be',
    );
    expect((await lem(['config', 'validate', file], { LEM_MAX_CONFIG_BYTES: '100000' })).status).toBe(0);
    refused(
      await lem(['config', 'validate', file], { LEM_MAX_CONFIG_BYTES: 'lots' }),
      'LEM_MAX_CONFIG_BYTES must be a whole number greater than 0, got "lots"',
    );
  });

  it('a FIFO, given directly or listed under configs:, is refused without blocking', async () => {
    const dir = tmp();
    const fifo = join(dir, 'pipe.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    refused(await lem(['config', 'validate', fifo]), 'is a named pipe (FIFO), not a regular file');
    writeFileSync(join(dir, 'c.yaml'), 'campaign_name: piped\nconfigs:\n  - pipe.yaml\n');
    refused(
      await lem(['campaign', 'plan', join(dir, 'c.yaml')]),
      `c.yaml:3:5: configs[0]: experiment file ${fifo} is a named pipe (FIFO)`,
    );
  });

  it('/dev/zero is refused, not read', async () => {
    refused(await lem(['config', 'validate', '/dev/zero']), '/dev/zero: is a character device, not a regular file');
  });

  it('a symlink loop is called one, not "not found"', async () => {
    const dir = tmp();
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    symlinkSync(join(dir, 'b.yaml'), join(dir, 'a.yaml'));
    const r = await lem(['config', 'validate', join(dir, 'a.yaml')]);
    refused(r, 'symlink loop');
    expect(r.stderr).not.toContain('not found');
  });
});

describe('documents built to exhaust the parser or the planner', () => {
  it('a config nested 5,000 deep is an error, not a crash (block and flow style)', async () => {
    const dir = tmp();
    // `- - - ... 1`: a list in a list, 5,000 levels, on one line.
    writeFileSync(
      join(dir, 'block.yaml'),
      `backend: synthetic\nmodel: {name: m}\nsynthetic:\n  extra:\n    a:\n      ${'- '.repeat(5000)}1\n`,
    );
    refused(await lem(['config', 'validate', join(dir, 'block.yaml')]), 'nested too deeply');
    writeFileSync(
      join(dir, 'flow.yaml'),
      `backend: synthetic\nmodel: {name: m}\nsynthetic:\n  extra: {a: ${'['.repeat(5000)}${']'.repeat(5000)}}\n`,
    );
    refused(await lem(['config', 'validate', join(dir, 'flow.yaml')]), 'nested too deeply');
  });

  it('nesting beyond 64 levels is named with its line, also when built from aliases', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'deep.yaml'),
      `backend: synthetic\nmodel: {name: m}\nsynthetic:\n  extra:\n    a: ${'['.repeat(100)}${']'.repeat(100)}\n`,
    );
    refused(await lem(['config', 'validate', join(dir, 'deep.yaml')]), 'deep.yaml:5:');
    // Each anchor nests 10 levels around the previous one: no line is deep, the expanded value is 70 levels.
    const anchors = Array.from(
      { length: 7 },
      (_, i) => `  a${i + 1}: &a${i + 1} ${'['.repeat(10)}${i === 0 ? '1' : `*a${i}`}${']'.repeat(10)}`,
    ).join('\n');
    writeFileSync(
      join(dir, 'alias.yaml'),
      `backend: synthetic\nmodel: {name: m}\nx-chain:\n${anchors}\nsynthetic:\n  extra: {deep: *a7}\n`,
    );
    refused(
      await lem(['config', 'validate', join(dir, 'alias.yaml')]),
      'nested more than 64 levels deep once its aliases are expanded',
    );
  });

  it('cycles: 1000000000 and a 10⁸ grid are refused at once; LEM_MAX_RUNS moves the limit', async () => {
    refused(
      await lem(['campaign', 'plan', 'test/fixtures/invalid/camp-huge-cycles.yaml']),
      '= 2,000,000,000 runs, more than the 100,000 runs a campaign may plan',
    );
    refused(
      await lem(['campaign', 'run', '--dry-run', 'test/fixtures/invalid/camp-huge-grid.yaml']),
      'this makes 100,000,000 experiments',
    );
    const file = join(tmp(), 'c.yaml');
    writeFileSync(file, `campaign_name: four\ncycles: 2\n${GRID}`);
    refused(
      await lem(['campaign', 'plan', file], { LEM_MAX_RUNS: '3' }),
      '2 experiment(s) × 2 cycles = 4 runs, more than the 3 runs',
    );
    expect((await lem(['campaign', 'plan', file], { LEM_MAX_RUNS: '4' })).status).toBe(0);
  });
});

describe('user text on the terminal', () => {
  const HOSTILE = '\\x1b]0;pwned\\x07\\x1b[2J';

  it('plan, --dry-run and warnings print control characters escaped, never raw', async () => {
    const dir = tmp();
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      `campaign_name: "evil${HOSTILE}"\nbase_config:\n  backend: synthetic\n  name: "n${HOSTILE}"\n  model: {name: m}\nvary:\n  batching.batch_size: [1, 1]\n  model.name: ["a${HOSTILE}"]\n`,
    );
    for (const args of [
      ['campaign', 'plan', file],
      ['campaign', 'run', '--dry-run', file],
      ['config', 'validate', file],
    ]) {
      const r = await lem(args);
      expect(r.status, r.stderr).toBe(0);
      const all = r.stdout + r.stderr;
      expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      if (args[1] !== 'validate') expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J');
    }
    // The duplicate-config warning quotes the varied name: escaped too.
    expect((await lem(['campaign', 'plan', file])).stderr).toContain('a\\u001b]0;pwned\\u0007\\u001b[2J');
  });

  it('--json stays valid JSON with the name intact', async () => {
    const file = join(tmp(), 'c.yaml');
    writeFileSync(file, `campaign_name: "evil${HOSTILE}\\u009b"\n${GRID}`);
    const r = await lem(['campaign', 'plan', '--json', file]);
    expect(r.stdout).not.toMatch(/[\u0000-\u001f\u007f-\u009f](?<!\n)/);
    expect(JSON.parse(r.stdout).campaign.name).toBe('evil\u001b]0;pwned\u0007\u001b[2J\u009b');
  });
});

describe('accepted as compose accepts it', () => {
  it('top-level x- keys hold anchors and are otherwise ignored, in campaigns and experiments', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'e.yaml'), 'x-model: &m {name: m, fp_precision: fp16}\nbackend: synthetic\nmodel: *m\n');
    writeFileSync(
      join(dir, 'c.yaml'),
      `x-base: &base\n  backend: synthetic\n  model: {name: m}\ncampaign_name: anchored\nbase_config: *base\nvary:\n  batching.batch_size: [1, 2]\n`,
    );
    const r = await lem(['config', 'validate', join(dir, 'e.yaml'), join(dir, 'c.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/e\.yaml \(experiment, backend synthetic/);
    expect(r.stdout).toMatch(/c\.yaml \(campaign, 2 experiments, 2 runs\)/);
  });
});

describe('batch sizes above the prompt count', () => {
  it('are warned about by config validate, campaign plan and campaign run', async () => {
    const file = join(tmp(), 'c.yaml');
    writeFileSync(
      file,
      'campaign_name: b\nbase_config:\n  backend: synthetic\n  model: {name: m}\n  prompts: {count: 4}\nvary:\n  batching.batch_size: [2, 4, 8, 16]\n',
    );
    for (const args of [
      ['config', 'validate', file],
      ['campaign', 'plan', file],
      ['campaign', 'run', '--dry-run', file],
    ]) {
      const r = await lem(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        'c.yaml:7:3: vary.batching.batch_size: batching.batch_size 8 is larger than prompts.count 4',
      );
      expect(r.stderr).toContain('batching.batch_size 16 is larger than prompts.count 4');
    }
  });

  it('the demo campaign sweeps batch sizes its prompts can fill', async () => {
    const r = await lem(['config', 'validate', 'campaigns/demo.yaml']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
