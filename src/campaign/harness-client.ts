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
// id, which is part of the spec path) and send them SIGTERM, which the harness turns into an orderly stop. With a
// wait, the snippet returns only once they are gone (SIGKILL after the wait), so no new exec can overlap them.
const STOP_SNIPPET = `
import os, signal, sys, time
key, wait, me = sys.argv[1], float(sys.argv[2]), os.getpid()
pids = []
for p in os.listdir('/proc'):
    if not p.isdigit() or int(p) == me:
        continue
    try:
        cmd = open('/proc/%s/cmdline' % p, 'rb').read().decode(errors='replace')
    except OSError:
        continue
    if 'lem_harness' in cmd and key in cmd:
        try:
            os.kill(int(p), signal.SIGTERM); pids.append(int(p))
        except ProcessLookupError:
            pass
deadline = time.monotonic() + wait
alive = lambda: [p for p in pids if os.path.exists('/proc/%d' % p)]
while wait > 0 and alive() and time.monotonic() < deadline:
    time.sleep(0.05)
for p in (alive() if wait > 0 else []):
    try:
        os.kill(p, signal.SIGKILL)
    except ProcessLookupError:
        pass
print(len(pids))
`;

/**
 * Asks every harness process working on `key` to stop; returns how many were signalled. With `waitMs`, returns
 * only once they have exited (those still there after `waitMs` are killed).
 */
export async function stopHarness(container: BackendContainer, key: string, waitMs = 0): Promise<number> {
  const r = await execCapture(container.handle(), ['python3', '-c', STOP_SNIPPET, key, String(waitMs / 1000)]);
  if (r.exitCode !== 0) throw new Error(`could not signal the harness in ${container.containerName}: ${r.stderr.trim()}`);
  return Number(r.stdout.trim()) || 0;
}

// Fills the container's bytecode cache (PYTHONPYCACHEPREFIX: the harness mount is read-only). With a cache
// prefix set, the standard library's own __pycache__ is not used either, so the run path is imported (which
// caches it and the stdlib modules it needs) and the harness package compiled. Without it the first `run` exec
// in a fresh container compiles all that itself (~100-250 ms charged to the first experiment; measured 158 ms
// vs 58 ms warm). compile_dir compiles without importing, so engine modules (vLLM, TensorRT-LLM) are compiled
// but their heavy libraries are not loaded.
const WARM_SNIPPET = `
import compileall, os, sys
import lem_harness, lem_harness.cli, lem_harness.batch, lem_harness.events, lem_harness.interrupt, lem_harness.engines.base
ok = compileall.compile_dir(os.path.dirname(lem_harness.__file__), quiet=1)
sys.exit(0 if ok else 1)
`;

/**
 * Warms the harness's bytecode cache in the container; done once when lem brings a backend up. Resolves an
 * error message when the compile failed (the caller reports it; experiments still run, only slower).
 */
export async function warmHarness(container: BackendContainer): Promise<string | undefined> {
  try {
    const r = await execCapture(container.handle(), ['python3', '-c', WARM_SNIPPET]);
    if (r.exitCode === 0) return undefined;
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    return `could not precompile the harness in ${container.containerName} (exit ${r.exitCode ?? 'unknown'}): ${why || 'no output'}`;
  } catch (e) {
    return `could not precompile the harness in ${container.containerName}: ${(e as Error).message}`;
  }
}

/** A `lem_harness run` process in a container, with the campaign and batch its spec path names. */
export interface HarnessProcess {
  readonly pid: number;
  readonly campaign_id: string | null;
  readonly batch_id: string | null;
}

// Lists `lem_harness run` processes from /proc; the spec path (…/<campaign>/<batch>.json under the batch folder,
// or …/campaigns/<campaign>/batches/<batch>.json as older lem wrote it) says whose they are.
const PS_SNIPPET = `
import json, os, re
me, out = os.getpid(), []
for p in os.listdir('/proc'):
    if not p.isdigit() or int(p) == me:
        continue
    try:
        argv = open('/proc/%s/cmdline' % p, 'rb').read().decode(errors='replace').split('\\0')
    except OSError:
        continue
    if 'lem_harness' not in argv or 'run' not in argv:
        continue
    spec = argv[-1] if argv[-1] else (argv[-2] if len(argv) > 1 else '')
    m = re.search(r'/campaigns/([^/]+)/batches/([^/]+)\\.json$', spec) or re.search(r'/([^/]+)/([^/]+)\\.json$', spec)
    out.append({'pid': int(p), 'campaign_id': m.group(1) if m else None, 'batch_id': m.group(2) if m else None})
print(json.dumps(out))
`;

/** The harness processes running in the container now, of any campaign. */
export async function listHarnesses(container: BackendContainer): Promise<HarnessProcess[]> {
  const r = await execCapture(container.handle(), ['python3', '-c', PS_SNIPPET]);
  if (r.exitCode !== 0) throw new Error(`could not list the harness processes in ${container.containerName}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as HarnessProcess[];
}
