import { join, relative, isAbsolute } from 'node:path';
import type { BindMount } from './definition.js';

const HARNESS_MOUNT = '/app/harness';
const BATCHES_MOUNT = '/app/batches';

/**
 * What a backend may never get, whatever compose.yaml says. Backends run third-party engine code (a model with
 * trust_remote_code runs whatever it ships): no Docker socket, a read-only harness and batch specs, and no view of
 * the orchestrator's own state (`campaigns/`: manifests, plans, journals, locks; `daemon/`: the daemon's lock), so
 * code in a container cannot rewrite a campaign or block the daemon. Returns the first problem, or undefined.
 */
export function mountProblem(service: string, binds: readonly BindMount[], stateDir: string): string | undefined {
  const sock = binds.find((b) => /docker\.sock$/.test(b.source) || /docker\.sock$/.test(b.target));
  if (sock) {
    const why = 'lem refuses to give a backend control of the engine';
    return `service "${service}" mounts the Docker socket (${sock.source}); ${why}`;
  }
  for (const target of [HARNESS_MOUNT, BATCHES_MOUNT]) {
    const rw = binds.find((b) => b.target === target && !b.readOnly);
    if (rw) return `service "${service}" mounts ${target} writable; it must be read-only (add :ro)`;
  }
  for (const owned of ['campaigns', 'daemon']) {
    const inside = join(stateDir, owned);
    const exposing = binds.find((b) => contains(b.source, inside));
    if (exposing) {
      return (
        `service "${service}" mounts ${exposing.source}, which holds lem's own state (${inside}); a backend may see ` +
        `only .state/batches (read-only, at ${BATCHES_MOUNT}) and a cache folder such as .state/cache`
      );
    }
  }
  return undefined;
}

/** True when `inner` is `outer` or lies under it. */
function contains(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
