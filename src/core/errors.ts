import { escapeControl } from './terminal-text.js';

/**
 * Stable error codes (yarn berry style): a user can search for the code, and tests assert on it
 * rather than on wording. Exit code 2 = usage/config problem the user must fix; 1 = the run failed.
 */
export const ErrorCode = {
  USAGE: 'LEM001',
  CONFIG_INVALID: 'LEM002',
  FILE_NOT_FOUND: 'LEM003',
  YAML_SYNTAX: 'LEM004',
  CAMPAIGN_NOT_FOUND: 'LEM005',
  DOCKER_UNREACHABLE: 'LEM010',
  IMAGE_MISSING: 'LEM011',
  HEALTH_TIMEOUT: 'LEM012',
  CONTAINER_FAILED: 'LEM013',
  EXEC_FAILED: 'LEM014',
  RESULT_INVALID: 'LEM015',
  EXPERIMENT_FAILED: 'LEM016',
  INTERRUPTED: 'LEM017',
  METER_UNREADABLE: 'LEM018',
  STATE_CORRUPT: 'LEM020',
  LOCKED: 'LEM021',
  SCHEDULE_INVALID: 'LEM022',
  /** lem's own state (manifest, journal, plan, locks) could not be written: disk full, read-only, permissions. */
  STATE_WRITE: 'LEM023',
  RESULTS_EMPTY: 'LEM030',
  INTERNAL: 'LEM099',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where in a user's file a problem is: rendered as file:line:column. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface Issue {
  readonly location?: SourceLocation;
  /** Dotted field path inside the document, e.g. "batching.batch_size". */
  readonly path?: string;
  readonly message: string;
}

export interface LemError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Several problems found at once (validation reports all of them, not the first). */
  readonly issues?: readonly Issue[];
  /** What to do about it, or which log to read. */
  readonly hint?: string;
  readonly exitCode: 1 | 2;
}

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.USAGE,
  ErrorCode.CONFIG_INVALID,
  ErrorCode.FILE_NOT_FOUND,
  ErrorCode.YAML_SYNTAX,
  ErrorCode.CAMPAIGN_NOT_FOUND,
  ErrorCode.SCHEDULE_INVALID,
]);

export function lemError(
  code: ErrorCode,
  message: string,
  extra: { issues?: readonly Issue[]; hint?: string } = {},
): LemError {
  return { code, message, ...extra, exitCode: USAGE_CODES.has(code) ? 2 : 1 };
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.column === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.column}`;
}

/** One problem on one line; user text in it (paths, keys, values) cannot break the line or drive the terminal. */
export function formatIssue(issue: Issue): string {
  const where = issue.location ? `${formatLocation(issue.location)}: ` : '';
  const path = issue.path ? `${issue.path}: ` : '';
  return escapeControl(`${where}${path}${issue.message}`);
}

/** One human message for the terminal; no stack traces. */
export function formatError(error: LemError): string {
  const lines = [`${error.code}: ${error.message}`];
  for (const issue of error.issues ?? []) lines.push(`  - ${formatIssue(issue)}`);
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  return lines.join('\n');
}

/**
 * An error value thrown through an API that returns no Result (a store method called from an event handler):
 * the boundary that catches it gets the original value back, code and hint intact.
 */
export class LemFailure extends Error {
  constructor(readonly error: LemError) {
    super(error.message);
    this.name = 'LemFailure';
  }
}

/** Turn an unexpected throw into a value at a boundary, keeping its message. */
export function fromUnknown(e: unknown, code: ErrorCode = ErrorCode.INTERNAL, context?: string): LemError {
  if (e instanceof LemFailure) return context ? { ...e.error, message: `${context}: ${e.error.message}` } : e.error;
  const msg = e instanceof Error ? e.message : String(e);
  return lemError(code, context ? `${context}: ${msg}` : msg);
}
