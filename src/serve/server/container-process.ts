import type Docker from 'dockerode';
import type { Writable } from 'node:stream';
import { EXEC_CAPTURE_TIMEOUT_MS, execCapture, execInContainer } from '../../runtime/exec.js';

/**
 * A long-running process lem starts in a backend's container by `docker exec` (a server, an energy sampler). It
 * writes its pid to `pidFile` before it execs the command, so lem (or a later lem, after a crash) can stop it with
 * `kill`; a Docker exec has no stop of its own. The exec stays attached, so its output streams back to lem.
 */
export class ContainerProcess {
  /** Resolves with the exit code when the process ends (null when the engine cannot say). */
  readonly exited: Promise<number | null>;
  private done = false;

  private constructor(
    private readonly container: Docker.Container,
    private readonly pidFile: string,
    run: Promise<number | null>,
  ) {
    this.exited = run.then((c) => {
      this.done = true;
      return c;
    });
  }

  /**
   * Starts `argv` detached from lem's await (stdout lines to `onLine`, stderr to `stderr`). A process left by an
   * earlier lem under the same pid file is stopped first: one server per container, one port.
   */
  static async start(
    container: Docker.Container,
    o: { argv: readonly string[]; pidFile: string; onLine: (line: string) => void; stderr: Writable },
  ): Promise<ContainerProcess> {
    await stopByPidFile(container, o.pidFile, 10);
    const script = `echo $$ > ${o.pidFile}; exec "$@"`;
    const run = execInContainer(container, {
      cmd: ['sh', '-c', script, 'lem-process', ...o.argv],
      onStdoutLine: o.onLine,
      stderr: o.stderr,
    }).then(
      (r) => r.exitCode,
      (e: unknown) => {
        o.stderr.write(`[lem] exec failed: ${e instanceof Error ? e.message : String(e)}\n`);
        return null;
      },
    );
    return new ContainerProcess(container, o.pidFile, run);
  }

  get running(): boolean {
    return !this.done;
  }

  /** SIGTERM, then SIGKILL after `graceS`; resolves when the exec has ended. */
  async stop(graceS = 10): Promise<void> {
    if (this.done) return;
    await stopByPidFile(this.container, this.pidFile, graceS);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** Stops the process named by a pid file (if it still runs) and removes the file. */
async function stopByPidFile(container: Docker.Container, pidFile: string, graceS: number): Promise<void> {
  const polls = Math.max(1, Math.round(graceS * 10));
  const script =
    `[ -f ${pidFile} ] || exit 0; p=$(cat ${pidFile}); rm -f ${pidFile}; kill -TERM "$p" 2>/dev/null || exit 0; ` +
    `i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt ${polls} ]; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL "$p" 2>/dev/null; exit 0`;
  try {
    await execCapture(container, ['sh', '-c', script], graceS * 1000 + EXEC_CAPTURE_TIMEOUT_MS);
  } catch {
    // The container is gone or stopping: so is every process in it.
  }
}
