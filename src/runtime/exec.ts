import type Docker from 'dockerode';
import { PassThrough, type Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { describeWriteError, StateWriteError } from '../core/atomic-file.js';

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  /** Called once per complete stdout line, in order. */
  readonly onStdoutLine?: (line: string) => void;
  /** Where stderr goes (a log file); kept apart from the event stream on stdout. */
  readonly stderr?: Writable;
  /**
   * Stops waiting when aborted: lem detaches from the exec and resolves with `abandoned`. The process in the
   * container is not signalled (the engine's exec API cannot), so a caller that must end it does so itself.
   */
  readonly signal?: AbortSignal;
}

export interface ExecOutcome {
  /** null when the engine could not say (for example the container died under the exec). */
  readonly exitCode: number | null;
  /** True when the signal ended the wait before the process did (exitCode is then null). */
  readonly abandoned: boolean;
}

/**
 * `docker exec` with demultiplexed streams: stdout is split into lines for the caller, stderr is streamed to a
 * sink. Resolves when the process ends (or its container dies), with the exit code the engine reports.
 */
export async function execInContainer(container: Docker.Container, opts: ExecOptions): Promise<ExecOutcome> {
  const exec = await container.exec({
    Cmd: [...opts.cmd],
    Env: opts.env ? [...opts.env] : undefined,
    WorkingDir: opts.workingDir,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let handlerError: { readonly e: unknown } | undefined;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // dockerode types a container's modem as any; it is the docker-modem instance of its Docker client.
  (container.modem as Docker['modem']).demuxStream(stream, stdout, stderr);
  if (opts.stderr) stderr.pipe(opts.stderr, { end: false });
  else stderr.resume();
  // A sink that cannot be written (its disk is full) ends the exec with that error rather than crashing the
  // process with an unhandled 'error' event. The listener stays: a sink that failed may fail again on a later write.
  const onSinkError = (e: Error) => {
    handlerError ??= { e: new StateWriteError(describeWriteError('the log of this exec', e)) };
    stream.destroy();
  };
  opts.stderr?.on('error', onSinkError);

  const lines = createInterface({ input: stdout, crlfDelay: Infinity });
  // A line handler that throws (its state could not be written: a full disk) ends the exec with that error,
  // instead of escaping from a stream callback and killing the process without a word.
  const linesDone = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (handlerError) return;
      try {
        opts.onStdoutLine?.(line);
      } catch (e) {
        handlerError = { e };
        stream.destroy();
      }
    });
    lines.on('close', resolve);
  });
  let abandoned = false;
  const abandon = () => {
    abandoned = true;
    stream.destroy();
  };
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve()); // a dying container breaks the stream; the exit code tells the rest
    if (opts.signal?.aborted) abandon();
    else opts.signal?.addEventListener('abort', abandon, { once: true });
  });
  opts.signal?.removeEventListener('abort', abandon);
  stdout.end();
  stderr.end();
  await linesDone;
  if (handlerError) throw handlerError.e;
  const info = await exec.inspect();
  if (abandoned && info.Running) return { exitCode: null, abandoned: true };
  return { exitCode: info.Running ? null : (info.ExitCode ?? null), abandoned: false };
}

/** How long a short command may take unless its caller says otherwise: a hung one must not hang lem. */
export const EXEC_CAPTURE_TIMEOUT_MS = 60_000;

/**
 * Runs a short command and returns its output, for health checks and housekeeping. A command still running
 * after `timeoutMs` is abandoned (it may go on in the container) and reads as exit null, `timedOut`, with a last
 * stderr line saying so, which is the line callers quote when they report a failed command.
 */
export async function execCapture(
  container: Docker.Container,
  cmd: readonly string[],
  timeoutMs = EXEC_CAPTURE_TIMEOUT_MS,
): Promise<{ exitCode: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  let out = '';
  let errText = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => (errText += d.toString()));
  const r = await execInContainer(container, {
    cmd,
    onStdoutLine: (l) => (out += l + '\n'),
    stderr: sink,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (r.abandoned) {
    const line = `${cmd.join(' ')}: no answer within ${timeoutMs / 1000} s; lem stopped waiting for it`;
    errText += `${errText === '' || errText.endsWith('\n') ? '' : '\n'}${line}\n`;
  }
  return { exitCode: r.exitCode, stdout: out, stderr: errText, timedOut: r.abandoned };
}
