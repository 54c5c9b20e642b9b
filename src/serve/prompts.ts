import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/** The harness's built-in prompt set: one file, read by the harness and by the load generator alike. */
export const BUILTIN_PROMPTS = join(
  import.meta.dirname,
  '..',
  '..',
  'docker',
  'harness',
  'lem_harness',
  'data',
  'prompts.json',
);

export interface PromptSource {
  readonly source: 'builtin' | 'file';
  readonly category: 'short' | 'medium' | 'long';
  readonly file?: string | undefined;
  readonly count: number;
}

/** `count` prompts from the configured source, cycling through it when it has fewer (as the harness does). */
export function loadPrompts(p: PromptSource): Result<string[]> {
  let all: string[];
  try {
    if (p.source === 'builtin') {
      const data = JSON.parse(readFileSync(BUILTIN_PROMPTS, 'utf8')) as Record<string, string[]>;
      all = data[p.category] ?? [];
    } else {
      all = readFileSync(p.file!, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l, i) => {
          const v = JSON.parse(l) as { prompt?: unknown };
          if (typeof v.prompt !== 'string') throw new Error(`line ${i + 1}: expected {"prompt": "..."}`);
          return v.prompt;
        });
    }
  } catch (e) {
    return err(
      lemError(
        ErrorCode.FILE_NOT_FOUND,
        `prompts ${p.source === 'file' ? p.file : p.category}: ${(e as Error).message}`,
      ),
    );
  }
  if (all.length === 0) return err(lemError(ErrorCode.CONFIG_INVALID, 'the prompt source holds no prompts'));
  return ok(Array.from({ length: p.count }, (_, i) => all[i % all.length]!));
}
