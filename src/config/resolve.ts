import { isAbsolute, resolve } from 'node:path';
import { err, ok, type Result } from '../core/result.js';
import { ExperimentConfig } from './experiment.js';
import { problemsFromZod, type Problem } from './problems.js';

/** How a validated experiment is completed into the resolved config the harness receives. */
export interface ResolveOptions {
  /** Directory relative paths (prompts.file) are resolved against: the file that wrote them. */
  readonly baseDir?: string;
  /** The campaign's force_cold_start, which overrides each experiment's own value when set. */
  readonly forceColdStart?: boolean;
  /** Existence check for referenced files; absent (pure callers, tests) skips it. */
  readonly fileExists?: (absolutePath: string) => boolean;
}

/** Validate one experiment config; problems carry paths relative to the experiment. */
export function validateExperiment(input: unknown): Result<ExperimentConfig, Problem[]> {
  // reportInput lets problemsFromZod tell a missing field from a wrong one.
  const parsed = ExperimentConfig.safeParse(input, { reportInput: true });
  if (parsed.success) return ok(parsed.data);
  return err(problemsFromZod(parsed.error.issues, ExperimentConfig, []));
}

/**
 * Apply what depends on where the config came from: relative prompt files become absolute (so the plan means
 * the same thing from any working directory) and the campaign's force_cold_start wins. Done before hashing, so
 * the hash identifies what will actually run.
 */
export function finishExperiment(config: ExperimentConfig, options: ResolveOptions): Result<ExperimentConfig, Problem[]> {
  let out = config;
  const file = config.prompts.file;
  if (file !== undefined) {
    const abs = options.baseDir !== undefined && !isAbsolute(file) ? resolve(options.baseDir, file) : file;
    if (options.fileExists && !options.fileExists(abs)) {
      return err([{ path: ['prompts', 'file'], message: `prompt file not found: ${abs}` }]);
    }
    if (abs !== file) out = { ...out, prompts: { ...out.prompts, file: abs } };
  }
  if (options.forceColdStart !== undefined && out.force_cold_start !== options.forceColdStart) {
    out = { ...out, force_cold_start: options.forceColdStart };
  }
  return ok(out);
}
