import { resolve } from 'node:path';
import { Command, Option } from 'clipanion';
import { ErrorCode, lemError } from '../core/errors.js';
import { err, type Result } from '../core/result.js';
import { LemCommand } from './base-command.js';
import { configLimits, DEFAULT_HEALTH_TIMEOUT_S, parseHealthTimeout } from './defaults.js';

export class DaemonCommand extends LemCommand {
  static override paths = [['daemon']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Run scheduled campaigns: one cycle at each scheduled time, until stopped',
    details: `
      Loads every campaign file with a \`schedule:\` in the campaigns folder, checks each cron expression and time
      zone, prints when each runs next, and then runs one cycle of a campaign at each of its scheduled times.
      All cycles of a campaign file go into one campaign (same id, manifest and results folder), so they
      aggregate together. One cycle runs at a time; a tick that comes while a cycle of the same campaign runs is
      skipped or queued according to \`overlap:\`. After \`max_cycles\` cycles a campaign is no longer scheduled.

      One daemon per project (.state/daemon/lock). SIGTERM or Ctrl-C interrupts the running experiment, releases
      the lock and exits 0; the next start resumes the interrupted cycle first. The log is
      .state/daemon/daemon.log; see \`lem daemon status\`. Campaign files are read at start: restart the daemon
      after editing one.
    `,
    examples: [
      ['Run the scheduled campaigns in campaigns/', '$0 daemon'],
      ['Another folder', '$0 daemon --campaigns nightly/'],
    ],
  });

  campaigns = Option.String('--campaigns', {
    description: 'Folder of campaign files (default: campaigns/ in the project)',
  });
  project = Option.String('--project', {
    description: 'Project folder (holding compose.yaml); default: found from the current folder',
  });
  keepBackends = Option.Boolean('--keep-backends', false, {
    description: 'Leave backend containers running between cycles',
  });
  healthTimeout = Option.String('--health-timeout', String(DEFAULT_HEALTH_TIMEOUT_S), {
    description: 'Seconds to wait for a backend to become healthy',
  });

  async run(): Promise<Result<number>> {
    const healthTimeoutS = parseHealthTimeout(this.healthTimeout);
    if (!healthTimeoutS.ok) return healthTimeoutS;
    // Loaded here, not at the top: every lem invocation would otherwise pay for the daemon's modules.
    const [
      { connect, resolveProjectDir },
      { projectOptions },
      { runDaemon },
      { discoverScheduled },
      { scheduledCampaigns },
    ] = await Promise.all([
      import('../project/project.js'),
      import('./project-options.js'),
      import('../daemon/run.js'),
      import('../daemon/discover.js'),
      import('../daemon/schedule.js'),
    ]);
    const options = projectOptions(this.project);
    const dir = resolveProjectDir(options);
    if (!dir.ok) return dir;
    const folder = this.campaigns !== undefined ? resolve(this.campaigns) : resolve(dir.value, 'campaigns');
    const limits = configLimits();
    if (!limits.ok) return limits;
    const found = discoverScheduled(folder, limits.value);
    if (!found.ok) return found;
    for (const s of found.value.skipped) this.warn(`skipped, not readable as YAML:\n${s}`);
    for (const c of found.value.campaigns) for (const w of c.warnings) this.warn(w);
    // Schedules were checked as the files were loaded, before the lock is taken or Docker is asked anything.
    const scheduled = scheduledCampaigns(found.value.campaigns);
    if (scheduled.length === 0) {
      return err(
        lemError(ErrorCode.USAGE, `no campaign file in ${folder} has a schedule:`, {
          hint: 'add e.g. schedule: {cron: "0 0 2 * * *", max_cycles: 10} to a campaign file, or pass --campaigns <dir>',
        }),
      );
    }
    const c = await connect({ ...options, dir: dir.value });
    if (!c.ok) return c;
    return runDaemon({
      docker: c.value.docker,
      project: c.value.project,
      scheduled,
      keepBackends: this.keepBackends,
      healthTimeoutMs: healthTimeoutS.value * 1000,
      echo: this.context.stderr,
    });
  }
}
