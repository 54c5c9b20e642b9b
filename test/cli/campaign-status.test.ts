import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve('bin/lem.js');

beforeAll(() => {
  if (!existsSync('dist/cli/campaign-status.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});

describe('lem campaign status', () => {
  it('a campaign whose manifest is corrupt is reported as corrupt, naming the file (exit 1), not as missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lem-status-'));
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  synthetic:\n    image: lem/synthetic:latest\n');
    const campaign = join(dir, '.state', 'campaigns', 'demo-20260101-000000-abcd');
    mkdirSync(campaign, { recursive: true });
    writeFileSync(join(campaign, 'manifest.json'), '{"schema_version": 1, "campaign_id": ');
    const r = spawnSync(process.execPath, [BIN, 'campaign', 'status', 'demo-20260101-000000-abcd'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`LEM020: ${join(campaign, 'manifest.json')} cannot be read`);
  });
});
