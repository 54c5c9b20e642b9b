import type Docker from 'dockerode';

/** Receives one line per Docker API call: method, path, outcome and how long the engine took. */
export type DockerTrace = (line: string) => void;

interface DialOptions {
  method?: string;
  path?: string;
  options?: unknown;
}
type DialCallback = (err: unknown, data: unknown) => void;
interface Dialer {
  dial(options: DialOptions, callback: DialCallback): unknown;
}

/**
 * Traces every Docker API call (testcontainers-node style): all of dockerode's requests, container and exec ones
 * included, go through the one modem's `dial`. For a streamed call (logs, exec start) the time is until the stream
 * is open, not until it ends. Query strings are left out: they carry no secrets today, but the lines go to stderr.
 */
export function traceDockerCalls(
  docker: Docker,
  trace: DockerTrace,
  now: () => number = () => performance.now(),
): void {
  const modem = docker.modem as unknown as Dialer;
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const started = now();
    const call = `${options.method ?? 'GET'} ${(options.path ?? '').split('?')[0]}`;
    return dial(options, (e, data) => {
      const ms = (now() - started).toFixed(1);
      const status = (e as { statusCode?: number } | null)?.statusCode;
      trace(`docker ${call} ${e ? `failed${status ? ` (${status})` : ''}` : 'ok'} ${ms} ms`);
      callback(e, data);
    });
  };
}
