import type { Writable } from 'node:stream';
import { HarnessEvent } from '../contract/events.js';
import type { BackendContainer } from '../runtime/backend-container.js';
import { execCapture, execInContainer } from '../runtime/exec.js';

export interface BatchHandlers {
  onEvent(event: HarnessEvent): void;
  /** A stdout line that is not a contract event: kept in the log, never trusted. */
  onProtocolError(line: string, why: string): void;
}

/** Starts `python3 -m lem_harness run <spec>` in the backend container and streams its events. */
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

// Docker has no "kill exec": find the harness processes whose command line names the key (a campaign or batch
// id, which is part of the spec path) and send them SIGTERM, which the harness turns into an orderly stop.
const STOP_SNIPPET = `
import os, signal, sys
key, me, n = sys.argv[1], os.getpid(), 0
for p in os.listdir('/proc'):
    if not p.isdigit() or int(p) == me:
        continue
    try:
        cmd = open('/proc/%s/cmdline' % p, 'rb').read().decode(errors='replace')
    except OSError:
        continue
    if 'lem_harness' in cmd and key in cmd:
        try:
            os.kill(int(p), signal.SIGTERM); n += 1
        except ProcessLookupError:
            pass
print(n)
`;

/** Asks every harness process working on `key` to stop; returns how many were signalled. */
export async function stopHarness(container: BackendContainer, key: string): Promise<number> {
  const r = await execCapture(container.handle(), ['python3', '-c', STOP_SNIPPET, key]);
  if (r.exitCode !== 0) throw new Error(`could not signal the harness in ${container.containerName}: ${r.stderr.trim()}`);
  return Number(r.stdout.trim()) || 0;
}
