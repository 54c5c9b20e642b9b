import { ErrorCode, lemError } from '../../core/errors.js';
import { err, ok, type Result } from '../../core/result.js';

export interface ReadinessInput {
  /** The server's base URL on 127.0.0.1, e.g. http://127.0.0.1:32768 (lem asks /v1/models). */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Progress, as for a container health wait: elapsed time and what the last probe saw. */
  readonly onWait: (elapsedMs: number, detail: string) => void;
  /** Resolves with the exit code when the server process ends (before ready: it failed to start). */
  readonly exited: Promise<number | null>;
  /** The server's last log lines, for the error. */
  readonly lastLines: () => string[];
  /** Names the server in messages, e.g. "vllm serve in lem-demo-vllm". */
  readonly name: string;
}

const POLL_MS = 250;

async function probe(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.ok ? undefined : `HTTP ${r.status}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return cause ?? (e as Error).name;
  }
}

function logHint(lines: readonly string[]): string {
  const shown = lines.length > 0 ? lines.map((l) => `    ${l}`).join('\n') : '    (no output)';
  return `last lines of the server's output:\n${shown}`;
}

/**
 * Waits until a server lem started answers GET /v1/models, with progress and a timeout like a container health
 * wait. A server that exits first fails at once; either failure carries the server's last log lines.
 */
export async function waitServerReady(x: ReadinessInput): Promise<Result<void>> {
  const start = Date.now();
  let exitCode: number | null | undefined;
  void x.exited.then((c) => (exitCode = c));
  for (;;) {
    if (x.signal.aborted)
      return err(lemError(ErrorCode.INTERRUPTED, `interrupted while waiting for ${x.name} to become ready`));
    const seen = await probe(x.baseUrl);
    if (seen === undefined) return ok(undefined);
    const elapsed = Date.now() - start;
    x.onWait(elapsed, `GET /v1/models: ${seen}`);
    if (exitCode !== undefined) {
      return err(
        lemError(ErrorCode.CONTAINER_FAILED, `${x.name} exited with code ${exitCode} before it was ready`, {
          hint: logHint(x.lastLines()),
        }),
      );
    }
    if (elapsed > x.timeoutMs) {
      const why = `not ready within ${Math.round(x.timeoutMs / 1000)} s (last probe of /v1/models: ${seen})`;
      return err(
        lemError(ErrorCode.HEALTH_TIMEOUT, `${x.name} is ${why}`, {
          hint: `${logHint(x.lastLines())}\n  raise server.ready_timeout_s if the model load takes longer`,
        }),
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
