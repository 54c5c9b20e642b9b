import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign, type LoadedCampaign } from '../../src/config/load.js';
import { formatIssue } from '../../src/core/errors.js';
import { cronProblem, nextRun, timezoneProblem, validateSchedules } from '../../src/daemon/schedule.js';

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

describe('schedule validation', () => {
  it('accepts 5- and 6-field expressions and IANA zones', () => {
    expect(cronProblem('*/3 * * * * *')).toBeUndefined();
    expect(cronProblem('0 2 * * 1-5')).toBeUndefined();
    expect(timezoneProblem('Europe/London')).toBeUndefined();
    const r = validateSchedules([campaign(`campaign_name: ok\nschedule:\n  cron: ["0 0 2 * * *", "*/10 * * * * *"]\n  timezone: Asia/Tokyo\n${GRID}`)]);
    expect(r.ok && r.value.map((s) => s.schedule.cron)).toEqual([['0 0 2 * * *', '*/10 * * * * *']]);
  });

  it('names the file, the line and the expression of every bad cron entry and an unknown time zone', () => {
    const c = campaign(`campaign_name: bad
schedule:
  cron:
    - "0 0 2 * * *"
    - "*/x * * * * *"
    - "1 2 3"
  timezone: Mars/Olympus
${GRID}`);
    const r = validateSchedules([c]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('LEM022');
    expect(r.error.exitCode).toBe(2);
    const lines = (r.error.issues ?? []).map(formatIssue);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${c.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: schedule\\.cron\\[1\\]: invalid cron expression "\\*/x \\* \\* \\* \\* \\*"`));
    expect(lines[1]).toMatch(/c\.yaml:6:\d+: schedule\.cron\[2\]: invalid cron expression "1 2 3": expected 5 or 6 fields/);
    expect(lines[2]).toMatch(/c\.yaml:7:\d+: schedule\.timezone: unknown time zone "Mars\/Olympus"/);
  });

  it('places a single-string cron at its own line', () => {
    const r = validateSchedules([campaign(`campaign_name: one\nschedule:\n  max_cycles: 2\n  cron: "61 * * * * *"\n${GRID}`)]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssue(r.error.issues![0]!)).toMatch(/c\.yaml:4:\d+: schedule\.cron\[0\]: invalid cron expression "61 \* \* \* \* \*": 61 is a invalid expression for second/);
  });

  it('leaves campaigns without a schedule out', () => {
    const r = validateSchedules([campaign(`campaign_name: plain\n${GRID}`)]);
    expect(r.ok && r.value).toEqual([]);
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
