import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * The targets a campaign brought up (backend names, or `backend@<gpus>` under `placement: pack`), recorded
 * durably in its folder so a resumed run after a kill still finds and tears them down.
 */
export function readOwned(file: string): Result<Set<string>> {
  if (!existsSync(file)) return ok(new Set());
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return ok(new Set(parsed.data));
    return err(
      lemError(ErrorCode.STATE_CORRUPT, `${file} is not a list of backend names: ${parsed.error.issues[0]?.message}`),
    );
  } catch (e) {
    return err(lemError(ErrorCode.STATE_CORRUPT, `${file} cannot be read: ${(e as Error).message}`));
  }
}
