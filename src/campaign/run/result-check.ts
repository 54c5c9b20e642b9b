import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';
import { RESULT_SCHEMA_VERSION, ResultDocument } from '../../contract/result.js';
import type { BatchEvent, Clock } from './batch-state.js';

/** Where an experiment's result.json lies on the host: <results>/<campaign>/<experiment>/result.json. */
export function hostResultPath(hostResults: string, campaignId: string, experimentId: string): string {
  return join(hostResults, campaignId, experimentId, 'result.json');
}

/**
 * Reads a result file and checks that it is a valid result of this campaign's experiment; resolves the attempt
 * that wrote it. Paths in messages are relative to the project folder.
 */
export function readResult(
  hostPath: string,
  projectDir: string,
  campaignId: string,
  id: string,
): Result<{ attempt: number }> {
  const shown = relative(projectDir, hostPath);
  if (!existsSync(hostPath)) return err(lemError(ErrorCode.RESULT_INVALID, `result file missing: ${shown}`));
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(hostPath, 'utf8'));
  } catch (e) {
    return err(lemError(ErrorCode.RESULT_INVALID, `result file is not JSON: ${shown}: ${(e as Error).message}`));
  }
  const parsed = ResultDocument.safeParse(doc);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return err(
      lemError(
        ErrorCode.RESULT_INVALID,
        `result file does not match schema v${RESULT_SCHEMA_VERSION} at ${i?.path.join('.') || '(root)'}: ${i?.message}: ${shown}`,
      ),
    );
  }
  const x = parsed.data.experiment;
  if (x.experiment_id !== id || x.campaign_id !== campaignId) {
    return err(
      lemError(
        ErrorCode.RESULT_INVALID,
        `result file belongs to another experiment (${x.campaign_id}/${x.experiment_id})`,
      ),
    );
  }
  return ok({ attempt: x.attempt });
}

/** As readResult, and the result must come from `attempt` (0: any attempt). */
export function checkResult(
  hostPath: string,
  projectDir: string,
  campaignId: string,
  id: string,
  attempt: number,
): Result<void> {
  const r = readResult(hostPath, projectDir, campaignId, id);
  if (!r.ok) return r;
  if (attempt > 0 && r.value.attempt !== attempt) {
    return err(
      lemError(ErrorCode.RESULT_INVALID, `result file is from attempt ${r.value.attempt}, expected ${attempt}`),
    );
  }
  return ok(undefined);
}

/**
 * The reducer's `check-result` effect carried out, for local and Slurm batches alike: the experiment's result on
 * the host checked, and the answer as the `result-checked` event to fold next.
 */
export function resultChecked(
  x: { readonly hostResults: string; readonly projectDir: string; readonly campaignId: string },
  id: string,
  attempt: number,
  at: Clock,
): BatchEvent {
  const r = checkResult(hostResultPath(x.hostResults, x.campaignId, id), x.projectDir, x.campaignId, id, attempt);
  return { kind: 'result-checked', id, error: r.ok ? undefined : r.error.message, at };
}
