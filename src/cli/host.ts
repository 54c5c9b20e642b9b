import type { HostContext } from '../campaign/session.js';

/**
 * The one place lem reads the process for the library: the environment (compose interpolation, secrets passed by
 * name) and whether to trace Docker calls. `LEM_UID`/`LEM_GID` default to the invoking user, so compose.yaml's
 * `user: "${LEM_UID}:${LEM_GID}"` runs a backend as that user and its result files are the user's on the host.
 */
export function hostContext(env: NodeJS.ProcessEnv = process.env): HostContext {
  const ids = { LEM_UID: String(process.getuid?.() ?? 0), LEM_GID: String(process.getgid?.() ?? 0) };
  return { env: { ...ids, ...env }, docker: { trace: dockerTraceEnabled(env) ? traceToStderr : undefined } };
}

/** `DEBUG=lem:docker` (the `debug` package's convention, `lem:*` and `*` too) or `LEM_DEBUG=1`. */
export function dockerTraceEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env['LEM_DEBUG'] !== undefined && env['LEM_DEBUG'] !== '' && env['LEM_DEBUG'] !== '0') return true;
  return (env['DEBUG'] ?? '').split(/[\s,]+/).some((d) => d === 'lem:docker' || d === 'lem:*' || d === '*');
}

function traceToStderr(line: string): void {
  process.stderr.write(`[lem:docker] ${line}\n`);
}
