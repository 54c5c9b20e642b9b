/** Bootstrap settings the results commands default to (a light module: command help is built from it). */
export interface SummaryOptions {
  resamples: number;
  seed: number;
  /** Confidence level (0.95). */
  level: number;
}

export const DEFAULT_SUMMARY_OPTIONS: SummaryOptions = { resamples: 10_000, seed: 1, level: 0.95 };
