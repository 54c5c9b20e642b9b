import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromUnknown, ErrorCode } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/**
 * Writes files so a reader sees either the old or the new version, never half of one: each goes to a temporary
 * file in the same folder, then renames over the target (atomic on one filesystem). Aggregates are re-derivable,
 * so no fsync: a crash loses at most the new copy, never the results they came from.
 */
export async function writeFilesAtomic(files: ReadonlyMap<string, string>): Promise<Result<string[]>> {
  const written: string[] = [];
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  for (const [path, data] of files) {
    const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp-${tag}`);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, path);
      written.push(path);
    } catch (e) {
      // Leave no temp file behind; if even that fails, say so beside the original error.
      const cleanup = await rm(tmp, { force: true }).then(
        () => '',
        (e2: unknown) => ` (and could not remove ${tmp}: ${e2 instanceof Error ? e2.message : String(e2)})`,
      );
      return err(fromUnknown(e, ErrorCode.INTERNAL, `writing ${path}${cleanup}`));
    }
  }
  return ok(written);
}
