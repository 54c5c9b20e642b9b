import { Command, Option } from 'clipanion';
import { type Result } from '../core/result.js';
import { CampaignExecutionCommand } from './campaign-execution-command.js';

export class CampaignResumeCommand extends CampaignExecutionCommand {
  static override paths = [['campaign', 'resume']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'Finish an interrupted campaign without repeating completed work',
    details: `
      Runs what a campaign still owes: pending and interrupted experiments, and failed ones with retries left.
      Completed experiments are never re-run. After a killed run, the harness it left measuring is stopped and
      every result it finished meanwhile is collected; only what it did not finish runs again. The campaign runs
      exactly the plan frozen when it was created (plan.json), whatever the campaign file says now.
      A Slurm campaign re-attaches to its recorded jobs still queued or running and collects those that ended;
      only work no job owns is submitted again.
    `,
    examples: [['Resume a campaign', '$0 campaign resume demo-20261124-101500-3fa2']],
  });

  id = Option.String({ required: true, name: 'campaign-id' });

  async run(): Promise<Result<number>> {
    const execution = this.executionOptions();
    if (!execution.ok) return execution;
    const [{ openCampaign }, { connect }, { projectOptions }, { runCampaignCommand }] = await Promise.all([
      import('../campaign/session.js'),
      import('../project/project.js'),
      import('./project-options.js'),
      import('./run-support.js'),
    ]);
    const c = await connect(projectOptions(this.project));
    if (!c.ok) return c;
    const opened = openCampaign(c.value.project, this.id);
    if (!opened.ok) return opened;
    const { store, plan } = opened.value;
    if (!this.json) this.print(`resuming campaign ${this.id}`);
    return runCampaignCommand(c.value.docker, c.value.project, store, plan, execution.value);
  }
}
