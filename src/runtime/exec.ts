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
}

export interface ExecOutcome {
  /** null when the engine could not say (for example the container died under the exec). */
  readonly exitCode: number | null;
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
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve()); // a dying container breaks the stream; the exit code tells the rest
  });
  stdout.end();
  stderr.end();
  await linesDone;
  if (handlerError) throw handlerError.e;
  const info = await exec.inspect();
  return { exitCode: info.Running ? null : (info.ExitCode ?? null) };
}

/** Runs a short command and returns its output, for health checks and housekeeping. */
export async function execCapture(
  container: Docker.Container,
  cmd: readonly string[],
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  let out = '';
  let errText = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => (errText += d.toString()));
  const r = await execInContainer(container, { cmd, onStdoutLine: (l) => (out += l + '\n'), stderr: sink });
  return { exitCode: r.exitCode, stdout: out, stderr: errText };
}
