import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign, type LoadedCampaign } from '../../src/config/load.js';
import { nextRun, scheduledCampaigns } from '../../src/daemon/schedule.js';

const GRID = `base_config:
  backend: synthetic
  model: {name: synthetic-model}
vary:
  batching.batch_size: [1]
`;

function campaign(text: string): LoadedCampaign {
  const dir = mkdtempSync(join(tmpdir(), 'lem-schedule-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, text);
  const loaded = loadCampaign(file);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.value;
}

describe('scheduled campaigns', () => {
  it('are the campaigns with a schedule, each with it', () => {
    const c = campaign(
      `campaign_name: ok\nschedule:\n  cron: ["0 0 2 * * *", "*/10 * * * * *"]\n  timezone: Asia/Tokyo\n${GRID}`,
    );
    expect(scheduledCampaigns([c, campaign(`campaign_name: plain\n${GRID}`)]).map((s) => s.schedule.cron)).toEqual([
      ['0 0 2 * * *', '*/10 * * * * *'],
    ]);
  });
});

describe('nextRun', () => {
  it('is the earliest next time of any expression, in the given zone', () => {
    const before = Date.now();
    const n = nextRun(['*/3 * * * * *', '0 0 0 1 1 *'], undefined)!;
    expect(n.getTime()).toBeGreaterThan(before - 1000);
    expect(n.getTime()).toBeLessThanOrEqual(before + 3000);
    expect(n.getUTCSeconds() % 3).toBe(0);
    // Noon in Tokyo (UTC+9, no DST) is 03:00 UTC.
    const tokyo = nextRun(['0 0 12 * * *'], 'Asia/Tokyo')!;
    expect([tokyo.getUTCHours(), tokyo.getUTCMinutes(), tokyo.getUTCSeconds()]).toEqual([3, 0, 0]);
    expect(tokyo.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
  });
});
