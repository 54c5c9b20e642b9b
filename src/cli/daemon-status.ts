import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import { LemCommand } from './base-command.js';
import { formatTable } from './table.js';

export class DaemonStatusCommand extends LemCommand {
  static override paths = [['daemon', 'status']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Show whether a daemon runs, and each scheduled campaign’s last and next run',
    details: 'Reads .state/daemon/ only: no Docker engine is needed. Next run times are shown while a daemon runs.',
    examples: [
      ['Status', '$0 daemon status'],
      ['As JSON', '$0 daemon status --json'],
    ],
  });

  project = Option.String('--project', { description: 'Project folder (holding compose.yaml)' });

  async run(): Promise<Result<void>> {
    // Loaded here, not at the top: every lem invocation would otherwise pay for these modules.
    const [{ locateProject }, { projectOptions }, { inspectLock }, daemonState] = await Promise.all([
      import('../project/project.js'),
      import('./project-options.js'),
      import('../core/pid-lock.js'),
      import('../daemon/state.js'),
    ]);
    const { loadState, lockFile, logFile } = daemonState;
    const project = locateProject(projectOptions(this.project));
    if (!project.ok) return project;
    const hostState = project.value.paths.hostState;
    const lock = inspectLock(lockFile(hostState));
    const state = loadState(hostState);
    if (!state.ok) return state;
    const running = lock.kind === 'held';
    // A cycle started but not finished is running while a daemon runs, and was cut short (kill -9) otherwise.
    const campaigns = Object.entries(state.value.campaigns).map(([file, r]) => ({
      file,
      ...r,
      cycle_running: running && r.last_started_at !== null && r.last_finished_at === null,
      next_run: running ? r.next_run : null,
    }));

    if (this.json) {
      this.printJson({
        running,
        pid: lock.kind === 'held' ? lock.owner.pid : null,
        started_at: lock.kind === 'held' ? lock.owner.started_at : null,
        stale_lock_pid: lock.kind === 'stale' ? (lock.owner?.pid ?? null) : null,
        log: logFile(hostState),
        campaigns,
      });
      return ok(undefined);
    }
    if (lock.kind === 'held') this.print(`daemon: running (PID ${lock.owner.pid}, since ${lock.owner.started_at})`);
    else if (lock.kind === 'stale')
      this.print(
        `daemon: not running (stale lock${lock.owner ? ` of PID ${lock.owner.pid}` : ''}; the next daemon takes it over)`,
      );
    else this.print('daemon: not running');
    this.print(`log: ${logFile(hostState)}`);
    if (campaigns.length === 0) {
      this.print('no scheduled campaigns yet (start one with: lem daemon)');
      return ok(undefined);
    }
    this.print('');
    this.print(
      formatTable(
        ['campaign', 'campaign id', 'cycles', 'last run', 'outcome', 'next run'],
        campaigns.map((c) => [
          escapeControl(c.name),
          c.campaign_id,
          `${c.cycles}${c.max_cycles !== null ? `/${c.max_cycles}` : ''}`,
          c.last_started_at === null ? '-' : `${c.last_started_at} (cycle ${c.last_cycle ?? '?'})`,
          c.cycle_running
            ? 'running'
            : c.last_started_at !== null && c.last_finished_at === null
              ? 'unfinished (resumes at start)'
              : (c.last_outcome ?? '-'),
          c.next_run ??
            (running ? (c.max_cycles !== null && c.cycles >= c.max_cycles ? 'done (max_cycles)' : '-') : '-'),
        ]),
      ),
    );
    return ok(undefined);
  }
}
