import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaign } from '../../src/config/load.js';
import { cronProblem, timezoneProblem } from '../../src/config/schedule.js';
import { formatIssue } from '../../src/core/errors.js';

const GRID = `base_config:
  backend: synthetic
  model: {name: synthetic-model}
vary:
  batching.batch_size: [1]
`;

function issuesOf(text: string): { file: string; lines: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lem-schedule-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, text);
  const loaded = loadCampaign(file);
  return { file, lines: loaded.ok ? [] : (loaded.error.issues ?? []).map(formatIssue) };
}

describe('cron expressions', () => {
  it.each([
    '*/3 * * * * *',
    '0 2 * * 1-5',
    '0 0 2 * * *',
    '*/60 * * * *',
    '0 9 * jan-mar mon,fri',
    '0 0 * * 7',
    '15,45 */2 1-15/3 * *',
  ])('accepts %s', (e) => {
    expect(cronProblem(e)).toBeUndefined();
  });

  it.each([
    ['61 * * * *', 'minute must be 0-59, got 61'],
    ['*/61 * * * *', 'step "/61" in the minute field must be a whole number from 1 to 60'],
    ['every day', '2 fields, but cron has 5 fields'],
    ['* * * *', '4 fields, but cron has 5 fields'],
    ['* * * * * * *', '7 fields'],
    ['0 25 * * *', 'hour must be 0-23, got 25'],
    ['0 0 0 * *', 'day of month must be 1-31, got 0'],
    ['0 0 * 13 *', 'month must be 1-12, got 13'],
    ['0 0 * * 8', 'weekday must be 0-7, got 8'],
    ['0 0 * * funday', '"funday" is not a weekday'],
    ['30-10 * * * *', 'the minute range 30-10 runs backwards'],
    ['*/0 * * * *', 'step "/0"'],
    ['*/x * * * * *', 'step "/x"'],
    ['0 0 31 2 *', 'impossible day of month'],
  ])('refuses %s: %s', (e, why) => {
    expect(cronProblem(e)).toContain(why);
  });

  it('never says "a invalid"', () => {
    for (const e of ['61 * * * *', '0 0 31 2 *', 'x y z a b'])
      expect(cronProblem(e) ?? '').not.toMatch(/\ba invalid\b/);
  });
});

describe('time zones', () => {
  it('accepts IANA names and refuses others without a word about cron', () => {
    expect(timezoneProblem('Europe/London')).toBeUndefined();
    expect(timezoneProblem('Mars/Olympus')).toBe(
      'unknown time zone "Mars/Olympus": use an IANA name such as Europe/London or UTC',
    );
  });
});

describe('schedules in campaign files', () => {
  it('are checked on load: every bad entry and zone at its file and line', () => {
    const { file, lines } = issuesOf(`campaign_name: bad
schedule:
  cron:
    - "0 0 2 * * *"
    - "*/x * * * * *"
    - "1 2 3"
  timezone: Mars/Olympus
${GRID}`);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: schedule\\.cron\\[1\\]: invalid cron expression "\\*/x \\* \\* \\* \\* \\*"`,
      ),
    );
    expect(lines[1]).toMatch(
      /c\.yaml:6:\d+: schedule\.cron\[2\]: invalid cron expression "1 2 3": 3 fields, but cron has 5 fields/,
    );
    expect(lines[2]).toMatch(/c\.yaml:7:\d+: schedule\.timezone: unknown time zone "Mars\/Olympus": use an IANA name/);
    expect(lines[2]).not.toMatch(/cron|field/);
  });

  it('places a single-string cron at its own line', () => {
    const { lines } = issuesOf(`campaign_name: one\nschedule:\n  max_cycles: 2\n  cron: "61 * * * * *"\n${GRID}`);
    expect(lines).toEqual([
      expect.stringMatching(
        /c\.yaml:4:\d+: schedule\.cron\[0\]: invalid cron expression "61 \* \* \* \* \*": second must be 0-59, got 61/,
      ),
    ]);
  });
});
