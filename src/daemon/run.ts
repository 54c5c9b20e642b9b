import { formatError } from '../core/errors.js';
import { acquireLock, releaseLock } from '../core/pid-lock.js';
import { ok, type Result } from '../core/result.js';
import { Daemon } from './daemon.js';
import { DaemonLog } from './log.js';
import type { DaemonOptions } from './slots.js';
import { lockFile, logFile } from './state.js';

/**
 * `lem daemon`: takes the lock, runs until SIGTERM/SIGINT, releases the lock. A second signal exits at once
 * (the manifest is consistent after every change; the next start resumes).
 */
export async function runDaemon(o: DaemonOptions): Promise<Result<number>> {
  const hostState = o.project.paths.hostState;
  const lock = lockFile(hostState);
  const acquired = acquireLock(lock);
  if (!acquired.ok) return acquired;
  const log = new DaemonLog(logFile(hostState), o.echo);
  log.line(`daemon started (PID ${process.pid}); project ${o.project.dir}; log ${log.file}`);
  const prev = acquired.value.tookOverFrom;
  if (prev !== undefined)
    log.line(
      `took over a stale lock ${prev === 'unreadable' ? '(unreadable content)' : `of PID ${prev.pid} (started ${prev.started_at}; that process is gone)`}`,
    );

  let daemon: Daemon | undefined;
  let first = true;
  const onSignal = (sig: NodeJS.Signals) => {
    if (first && daemon) {
      first = false;
      daemon.stop(sig);
      return;
    }
    log.line(`second ${sig}: exiting now; the manifests are consistent and the next start resumes`);
    const released = releaseLock(lock);
    if (!released.ok) log.line(formatError(released.error));
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const opened = Daemon.open(o, log);
    if (!opened.ok) return opened;
    daemon = opened.value;
    try {
      daemon.start();
    } catch (e) {
      // Not started: the campaigns this start created would stay behind as empty "planned 0/0" ones.
      daemon.discardCreated();
      throw e;
    }
    await daemon.untilStopped();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const released = releaseLock(lock);
    if (!released.ok) log.line(formatError(released.error));
    else log.line('daemon stopped; lock released');
  }
  return ok(0);
}
