// CPU figures beside a timed bench case, so that a FAIL on a busy machine says so (Linux /proc; null elsewhere).
import { readFileSync } from 'node:fs';

function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null when it cannot be read. */
export function processCpuS(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Start a window; its end() gives the whole machine's busy and steal shares (of all CPUs) over it. */
export function machineWindow() {
  const a = machineTicks();
  return {
    end() {
      const b = machineTicks();
      if (a === null || b === null) return null;
      const busy = b.busy - a.busy;
      const steal = b.steal - a.steal;
      const total = busy + steal + (b.idle - a.idle);
      return total > 0 ? { busyShare: busy / total, stealShare: steal / total } : null;
    },
  };
}

/** The first child of a process (Linux), or null. */
export function childPid(pid) {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : null;
  } catch {
    return null;
  }
}

/**
 * Nanoseconds a thread has spent runnable but waiting for a CPU (Linux schedstat's second field); null when the
 * kernel does not keep it. A thread that waits while its data is ready stamps that data late.
 */
export function runQueueWaitNs(pid, tid = pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/)[1]);
  } catch {
    return null;
  }
}
