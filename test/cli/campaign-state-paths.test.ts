import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pendingEntry, type Manifest } from '../../src/campaign/manifest.js';
import { ManifestStore } from '../../src/campaign/manifest-store.js';

const BIN = resolve('bin/lem.js');

beforeAll(() => {
  if (!existsSync('dist/cli/campaign-status.js'))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
});

function projectWith(ids: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lem-paths-'));
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  synthetic:\n    image: lem/synthetic:latest\n');
  for (const id of ids) {
    const m: Manifest = {
      schema_version: 1, campaign_id: id, campaign_name: id, campaign_file: 'c.yaml', created_at: 't', updated_at: 't', seq: 0, status: 'planned',
      experiments: [pendingEntry({ id: 'e0', index: 0, cycle: 1, backend: 'synthetic', config_hash: 'h' })],
    }; // prettier-ignore
    ManifestStore.create(join(dir, '.state', 'campaigns', id), m);
  }
  return dir;
}

const lem = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });

describe('campaign state paths', () => {
  it('lem campaign status refuses an id that would open a folder outside .state/campaigns (exit 2)', () => {
    const dir = projectWith([]);
    // A readable campaign where ../../x leads from .state/campaigns: the project folder's own x/.
    ManifestStore.create(join(dir, 'x'), {
      schema_version: 1,
      campaign_id: 'x',
      campaign_name: 'outside',
      campaign_file: 'c.yaml',
      created_at: 't',
      updated_at: 't',
      seq: 0,
      status: 'planned',
      experiments: [],
    });
    const r = lem(dir, 'campaign', 'status', '../../x');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('LEM001: "../../x" is not a campaign id');
    expect(r.stdout).not.toContain('outside');
  });

  it('a journal.jsonl that is a folder makes that campaign unreadable in lem campaign list, and the others are listed', () => {
    const dir = projectWith(['a-1', 'b-2']);
    mkdirSync(join(dir, '.state', 'campaigns', 'a-1', 'journal.jsonl'));
    const r = lem(dir, 'campaign', 'list', '--json');
    expect(r.status, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { campaigns: { id: string; status: string }[] }).campaigns;
    expect(rows.map((c) => c.id)).toEqual(['a-1', 'b-2']);
    expect(rows[0]!.status).toMatch(/^unreadable: .*journal\.jsonl cannot be read: EISDIR/);
    expect(rows[1]!.status).toBe('planned');
  });

  it('a campaign whose manifest.json is gone is rebuilt from plan.json and the journal, and says so', () => {
    const dir = projectWith([]);
    const c = join(dir, '.state', 'campaigns', 'r-1');
    mkdirSync(c, { recursive: true });
    writeFileSync(
      join(c, 'plan.json'),
      JSON.stringify({
        campaign: { name: 'r', file: 'c.yaml' },
        experiments: [{ id: 'e0', index: 0, cycle: 1, backend: 'synthetic', config_hash: 'h', config: {} }],
      }),
    );
    writeFileSync(
      join(c, 'journal.jsonl'),
      JSON.stringify({ seq: 1, ts: '2026-01-01T00:00:00Z', id: 'e0', patch: { status: 'completed', attempts: 1 } }) +
        '\n',
    );
    const r = lem(dir, 'campaign', 'status', 'r-1', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: no campaign manifest at .*: rebuilt from plan\.json and journal\.jsonl \(1 records\)/,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ campaign_id: 'r-1', counts: { completed: 1, total: 1 } });
  });
});
