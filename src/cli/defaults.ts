import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/** Seconds to wait for a backend's health check before giving up (heavy images load engines at start). */
export const DEFAULT_HEALTH_TIMEOUT_S = 300;

/**
 * --health-timeout in seconds. Checked up front: a value that is not a number would make the wait for a backend
 * that never turns healthy endless (no elapsed time is greater than NaN).
 */
export function parseHealthTimeout(raw: string): Result<number> {
  const s = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(s) || s <= 0) return err(lemError(ErrorCode.USAGE, `--health-timeout must be a number of seconds greater than 0, got "${raw}"`));
  return ok(s);
}
