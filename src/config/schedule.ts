import { validateDetailed } from 'node-cron';
import type { Schedule } from './campaign.js';
import type { Problem } from './problems.js';

/**
 * The one check of a campaign's `schedule:` (cron syntax and time zone), run whenever a campaign file is
 * loaded: `lem config validate`, `campaign plan`/`run` and the daemon accept and refuse the same schedules.
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const FIVE: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in most crons.
  { name: 'weekday', min: 0, max: 7, names: WEEKDAYS },
];

const CRON_FORM =
  'cron has 5 fields (minute hour day-of-month month weekday) or 6 with seconds first, e.g. "0 2 * * *"';

/** A number or name in a field, or undefined when it is neither. */
function value(field: CronField, text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i < 0) return undefined;
  return field.name === 'month' ? i + 1 : i;
}

function partProblem(field: CronField, part: string): string | undefined {
  const range = `${field.min}-${field.max}`;
  const m = /^([^/]+)(?:\/(.*))?$/.exec(part);
  if (!m) return `"${part}" is not a ${field.name} value`;
  const [, span, step] = m;
  if (step !== undefined) {
    const n = /^\d+$/.test(step) ? Number(step) : NaN;
    const most = field.max - field.min + 1;
    if (!(n >= 1 && n <= most))
      return `step "/${step}" in the ${field.name} field must be a whole number from 1 to ${most}`;
  }
  if (span === '*') return undefined;
  const ends = span!.split('-');
  if (ends.length > 2) return `"${span}" is not a ${field.name} value or range`;
  const nums = ends.map((e) => value(field, e));
  for (const [i, n] of nums.entries()) {
    if (n === undefined)
      return `"${ends[i]}" is not a ${field.name} (${range}${field.names ? ` or a name such as ${field.names[0]}` : ''})`;
    if (n < field.min || n > field.max) return `${field.name} must be ${range}, got ${n}`;
  }
  if (nums.length === 2 && nums[0]! > nums[1]!) return `the ${field.name} range ${span} runs backwards`;
  return undefined;
}

/** Why `expression` is not a cron expression lem can schedule, or undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    return `${fields.length} field${fields.length === 1 ? '' : 's'}, but ${CRON_FORM}`;
  const spec = fields.length === 6 ? [SECOND, ...FIVE] : FIVE;
  for (const [i, text] of fields.entries()) {
    for (const part of text.split(',')) {
      const why = partProblem(spec[i]!, part);
      if (why !== undefined) return why;
    }
  }
  // node-cron runs the schedule, so whatever else it refuses (an impossible date such as 31 February) counts.
  const v = validateDetailed(expression);
  if (v.valid) return undefined;
  return (v.errors.map((e) => e.message).join('; ') || 'not a cron expression').replace(/\ba invalid\b/g, 'an invalid');
}

/** Intl is the authority on IANA zone names: it throws a RangeError on any zone it cannot resolve. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone "${timezone}": use an IANA name such as Europe/London or UTC`;
  }
}

/** Every problem of a schedule, with paths in the campaign file. */
export function scheduleProblems(schedule: Schedule): Problem[] {
  const problems: Problem[] = [];
  schedule.cron.forEach((expression, i) => {
    const why = cronProblem(expression);
    if (why !== undefined)
      problems.push({ path: ['schedule', 'cron', i], message: `invalid cron expression "${expression}": ${why}` });
  });
  if (schedule.timezone !== undefined) {
    const why = timezoneProblem(schedule.timezone);
    if (why !== undefined) problems.push({ path: ['schedule', 'timezone'], message: why });
  }
  return problems;
}
