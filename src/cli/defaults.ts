import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from '../config/limits.js';

/** Seconds to wait for a backend's health check before giving up (heavy images load engines at start). */
export const DEFAULT_HEALTH_TIMEOUT_S = 300;

/**
 * --health-timeout in seconds. Checked up front: a value that is not a number would make the wait for a backend
 * that never turns healthy endless (no elapsed time is greater than NaN).
 */
export function parseHealthTimeout(raw: string): Result<number> {
  const s = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(s) || s <= 0)
    return err(lemError(ErrorCode.USAGE, `--health-timeout must be a number of seconds greater than 0, got "${raw}"`));
  return ok(s);
}

/**
 * The limits on config files, from the environment (read here, at the CLI edge): LEM_MAX_RUNS (runs one
 * campaign may plan) and LEM_MAX_CONFIG_BYTES (size of one config file). Unset means the defaults.
 */
export function configLimits(env: NodeJS.ProcessEnv = process.env): Result<ConfigLimits> {
  const read = (name: string, fallback: number): Result<number> => {
    const raw = env[name];
    if (raw === undefined || raw === '') return ok(fallback);
    const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < 1)
      return err(lemError(ErrorCode.USAGE, `${name} must be a whole number greater than 0, got "${raw}"`));
    return ok(n);
  };
  const maxRuns = read('LEM_MAX_RUNS', DEFAULT_CONFIG_LIMITS.maxRuns);
  if (!maxRuns.ok) return maxRuns;
  const maxFileBytes = read('LEM_MAX_CONFIG_BYTES', DEFAULT_CONFIG_LIMITS.maxFileBytes);
  if (!maxFileBytes.ok) return maxFileBytes;
  return ok({ ...DEFAULT_CONFIG_LIMITS, maxRuns: maxRuns.value, maxFileBytes: maxFileBytes.value });
}
