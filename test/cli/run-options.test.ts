import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The built CLI with a Docker engine that cannot be reached: an option checked up front is a usage error (exit 2)
 * before lem ever asks Docker anything (which would be exit 1, LEM010).
 */
function lem(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/lem.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: 'unix:///tmp/lem-no-such-docker.sock' },
  });
  return { code: r.status, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync('dist/cli/campaign-run.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});

describe('--health-timeout', () => {
  const scheduled = mkdtempSync(join(tmpdir(), 'lem-health-timeout-'));
  writeFileSync(
    join(scheduled, 'nightly.yaml'),
    'campaign_name: nightly\nschedule: {cron: "0 0 2 * * *"}\nbase_config: {backend: synthetic, model: {name: m}}\nvary: {batching.batch_size: [1]}\n',
  );

  it.each([
    ['campaign run', ['campaign', 'run', 'campaigns/demo.yaml']],
    ['campaign resume', ['campaign', 'resume', 'some-campaign']],
    ['daemon', ['daemon', '--campaigns', scheduled]],
    ['backends up', ['backends', 'up', 'synthetic']],
  ])('%s refuses a value that is not a positive number of seconds: exit 2, naming the option', (_name, args) => {
    for (const bad of ['abc', '0', '-5', '']) {
      const r = lem(...args, `--health-timeout=${bad}`);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`LEM001: --health-timeout must be a number of seconds greater than 0, got "${bad}"`);
    }
  });
});
