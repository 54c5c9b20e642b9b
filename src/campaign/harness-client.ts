import type { Writable } from 'node:stream';
import type { z } from 'zod';
import { HarnessEvent } from '../contract/events.js';
import { RunningHarness as RunningHarnessLine } from '../contract/running-harness.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { EXEC_CAPTURE_TIMEOUT_MS, execCapture, execInContainer } from '../runtime/exec.js';

export interface BatchHandlers {
  onEvent(event: HarnessEvent): void;
  /** A stdout line that is not a contract event: kept in the log, never trusted. */
  onProtocolError(line: string, why: string): void;
}

/**
 * Starts `python3 -m lem_harness run <spec>` in the backend container and streams its events. An exit code of
 * HARNESS_BUSY_EXIT means another harness was measuring there and this batch did not start.
 */
export async function runHarnessBatch(
  container: BackendContainer,
  containerSpecPath: string,
  stderr: Writable,
  handlers: BatchHandlers,
): Promise<{ exitCode: number | null }> {
  return execInContainer(container.handle(), {
    cmd: ['python3', '-m', 'lem_harness', 'run', containerSpecPath],
    stderr,
    onStdoutLine: (line) => {
      if (!line.trim()) return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        handlers.onProtocolError(line, 'not JSON');
        return;
      }
      const parsed = HarnessEvent.safeParse(json);
      if (parsed.success) handlers.onEvent(parsed.data);
      else handlers.onProtocolError(line, parsed.error.issues[0]?.message ?? 'not a harness event');
    },
  });
}

/**
 * The exit code of `lem_harness run` when another harness is already measuring in the container: it took no
 * lock, printed no event and wrote nothing; its stderr names the campaign, batch and pid holding the lock.
 */
export const HARNESS_BUSY_EXIT = 3;

export type RunningHarness = z.infer<typeof RunningHarnessLine>;

/** Every harness `run` process in the container (`lem_harness ps`), with the campaign and batch it works on. */
export async function listHarnesses(container: BackendContainer): Promise<RunningHarness[]> {
  const r = await execCapture(container.handle(), ['python3', '-m', 'lem_harness', 'ps']);
  if (r.exitCode !== 0) {
    throw new Error(`could not list the harness processes in ${container.containerName}: ${r.stderr.trim()}`);
  }
  return r.stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const parsed = RunningHarnessLine.safeParse(parseJson(line));
      if (!parsed.success) {
        throw new Error(`lem_harness ps in ${container.containerName} printed ${JSON.stringify(line)}`);
      }
      return parsed.data;
    });
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Asks every harness process working on `key` (a campaign or batch id, which the spec path names) to stop, with
 * SIGTERM, which the harness turns into an orderly stop; returns how many were signalled. With `waitMs`, returns
 * only once they have exited (those still there after `waitMs` are killed), so no new exec can overlap them.
 */
export async function stopHarness(container: BackendContainer, key: string, waitMs = 0): Promise<number> {
  const cmd = ['python3', '-m', 'lem_harness', 'stop', key, '--wait', String(waitMs / 1000)];
  // The harness waits up to waitMs itself; the margin covers Python's start and the kill of stragglers.
  const r = await execCapture(container.handle(), cmd, waitMs + EXEC_CAPTURE_TIMEOUT_MS);
  if (r.exitCode !== 0) {
    throw new Error(`could not signal the harness in ${container.containerName}: ${r.stderr.trim()}`);
  }
  return Number(r.stdout.trim()) || 0;
}

/**
 * Warms the harness's bytecode cache in the container (`lem_harness warm`); done once when lem brings a backend
 * up, so the first experiment does not pay the compile. Resolves an error message when the compile failed (the
 * caller reports it; experiments still run, only slower).
 */
export async function warmHarness(container: BackendContainer): Promise<string | undefined> {
  try {
    // Compiling every module on a busy machine can take far longer than a probe: five minutes before giving up.
    const r = await execCapture(container.handle(), ['python3', '-m', 'lem_harness', 'warm'], 300_000);
    if (r.exitCode === 0) return undefined;
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    const exit = r.exitCode ?? 'unknown';
    return `could not precompile the harness in ${container.containerName} (exit ${exit}): ${why || 'no output'}`;
  } catch (e) {
    return `could not precompile the harness in ${container.containerName}: ${(e as Error).message}`;
  }
}
