import { isAbsolute, resolve } from 'node:path';
import { err, ok, type Result } from '../core/result.js';
import type { z } from 'zod';
import { ExperimentConfig, ExperimentFields, foreignSections, withBackendSection } from './experiment.js';
import { problemsFromZod, type Problem } from './problems.js';
import { defaultExternalBackend, resolveServeFields, serveProblems } from './serve.js';

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

type Field = keyof typeof ExperimentFields.shape;
const FIELDS = Object.keys(ExperimentFields.shape) as Field[];

/** Content key of a YAML-born value; non-finite numbers kept apart from null (JSON would merge them). */
function contentKey(value: object): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v));
}

/**
 * A validator for many experiments that share most of their fields (a grid): each field is validated with
 * its own schema from ExperimentFields, and a field value already seen (same object, or same content) reuses
 * its result instead of being validated again. Results are the same as validateExperiment's (a test checks
 * it on random inputs): anything that fails, or has a key no field knows, goes through validateExperiment, so
 * problems are always reported by the one full schema. Resolved configs share unchanged sections by
 * reference; they are values, never mutated.
 */
export function createExperimentValidator(): (input: unknown) => Result<ExperimentConfig, Problem[]> {
  const byRef = new Map<Field, Map<unknown, unknown>>(FIELDS.map((f) => [f, new Map()]));
  const byContent = new Map<Field, Map<string, unknown>>(FIELDS.map((f) => [f, new Map()]));
  const shape: Record<Field, z.ZodType> = ExperimentFields.shape;
  return (raw) => {
    const input = defaultExternalBackend(raw);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return validateExperiment(input);
    const record = input as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!Object.hasOwn(shape, key)) return validateExperiment(input);
    const out: Record<string, unknown> = {};
    for (const field of FIELDS) {
      const value = Object.hasOwn(record, field) ? record[field] : undefined;
      const refs = byRef.get(field)!;
      let parsed: unknown;
      if (refs.has(value)) {
        parsed = refs.get(value);
      } else {
        const key = value !== null && typeof value === 'object' ? contentKey(value) : undefined;
        const contents = byContent.get(field)!;
        if (key !== undefined && contents.has(key)) {
          parsed = contents.get(key);
        } else {
          const r = shape[field].safeParse(value);
          if (!r.success) return validateExperiment(input);
          parsed = r.data;
          if (key !== undefined) contents.set(key, parsed);
        }
        refs.set(value, parsed);
      }
      if (parsed !== undefined) out[field] = parsed;
    }
    const fields = out as z.output<typeof ExperimentFields>;
    if (foreignSections(fields).length > 0 || serveProblems(fields).length > 0) return validateExperiment(input);
    return ok(resolveServeFields(withBackendSection(fields)));
  };
}

/**
 * Apply what depends on where the config came from: relative prompt files become absolute (so the plan means
 * the same thing from any working directory) and the campaign's force_cold_start wins. Done before hashing, so
 * the hash identifies what will actually run.
 */
export function finishExperiment(
  config: ExperimentConfig,
  options: ResolveOptions,
): Result<ExperimentConfig, Problem[]> {
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
