/**
 * Bounds on what lem accepts as configuration, so that no input can exhaust memory or hang a command: a
 * file is read only when it is a regular file below a size, a document only when it is nested less than a
 * depth, and a campaign is planned only when its run count is below a limit (checked before the grid is
 * expanded, from the lengths of the vary lists).
 */
export interface ConfigLimits {
  /** Largest config file read, in bytes; checked before reading. */
  readonly maxFileBytes: number;
  /** Most runs (experiments × cycles) one campaign may plan. */
  readonly maxRuns: number;
  /** Deepest nesting of mappings and lists in a config file. */
  readonly maxDepth: number;
}

export const DEFAULT_CONFIG_LIMITS: ConfigLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  maxRuns: 100_000,
  // Real configs nest 4 levels (measurement.warmup.window); engine kwargs under extra: may add a few.
  maxDepth: 64,
};

/** "10 MB", "512 KB", "12 bytes": sizes as a user reads them. */
export function describeBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} byte${n === 1 ? '' : 's'}`;
}
