import { Command, Option } from 'clipanion';
import { err, ok, type Result } from '../core/result.js';
import { LemCommand } from './base-command.js';
import { DEFAULT_HEALTH_TIMEOUT_S, parseHealthTimeout } from './defaults.js';

export class CampaignResumeCommand extends LemCommand {
  static override paths = [['campaign', 'resume']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Finish an interrupted campaign without repeating completed work',
    details: `
      Runs what a campaign still owes: pending and interrupted experiments, and failed ones with retries left.
      Completed experiments are never re-run. An experiment the last run left "running" (the orchestrator was
      killed) is collected if its result was written meanwhile, and run again otherwise. The campaign runs
      exactly the plan frozen when it was created (plan.json), whatever the campaign file says now.
    `,
    examples: [['Resume a campaign', '$0 campaign resume demo-20261124-101500-3fa2']],
  });

  id = Option.String({ required: true, name: 'campaign-id' });
  keepBackends = Option.Boolean('--keep-backends', false, { description: 'Leave the backend containers running afterwards' });
  healthTimeout = Option.String('--health-timeout', String(DEFAULT_HEALTH_TIMEOUT_S), { description: 'Seconds to wait for a backend to become healthy' });
  project = Option.String('--project', { description: 'Project folder (holding compose.yaml); default: found from the current folder' });

  async run(): Promise<Result<number>> {
    const healthTimeoutS = parseHealthTimeout(this.healthTimeout);
    if (!healthTimeoutS.ok) return healthTimeoutS;
    const [{ connect, openCampaign }, { finish, runWithSignals }] = await Promise.all([import('../campaign/session.js'), import('./run-support.js')]);
    const c = await connect(this.project);
    if (!c.ok) return c;
    const opened = openCampaign(c.value.project, this.id);
    if (!opened.ok) return opened;
    const { store, plan } = opened.value;
    if (!this.json) this.print(`resuming campaign ${this.id}`);
    const r = await runWithSignals(c.value.docker, c.value.project, store, plan, {
      keepBackends: this.keepBackends,
      healthTimeoutS: healthTimeoutS.value,
      stderr: process.stderr,
      stdout: this.context.stdout,
    });
    if (!r.ok) {
      // As `campaign run` does: the run stopped on this error, so the campaign must not stay `running`.
      store.setStatus('failed');
      return err({ ...r.error, hint: [r.error.hint, `after fixing this, continue with: lem campaign resume ${this.id}`].filter(Boolean).join('\n  ') });
    }
    const code = finish(this.id, r.value, this.context.stdout, this.json);
    return code.ok ? ok(code.value) : err(code.error);
  }
}
