import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import { ErrorCode, lemError } from '../core/errors.js';
import { err } from '../core/result.js';
import { LemCommand } from './base-command.js';
import { formatTable } from './table.js';

export class CampaignStatusCommand extends LemCommand {
  static override paths = [['campaign', 'status']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: "Show a campaign's manifest: each experiment's status, attempts, result and error",
    details: 'Without an id, shows the most recent campaign. Reads only the manifest: no Docker engine is needed.',
    examples: [
      ['Latest campaign', '$0 campaign status'],
      ['One campaign as JSON', '$0 campaign status demo-20261124-101500-3fa2 --json'],
    ],
  });

  id = Option.String({ required: false, name: 'campaign-id' });
  project = Option.String('--project', { description: 'Project folder (holding compose.yaml)' });

  async run(): Promise<Result<void>> {
    const [{ countStatuses }, manifests, { locateProject }, { projectOptions }] = await Promise.all([
      import('../campaign/manifest.js'),
      import('../campaign/manifest-store.js'),
      import('../project/project.js'),
      import('./project-options.js'),
    ]);
    const { listCampaignIds, ManifestStore } = manifests;
    const project = locateProject(projectOptions(this.project));
    if (!project.ok) return project;
    const state = project.value.paths.hostState;
    const id = this.id ?? listCampaignIds(state).at(-1);
    if (!id)
      return err(
        lemError(ErrorCode.CAMPAIGN_NOT_FOUND, `no campaigns in ${state}`, {
          hint: 'start one with: lem campaign run <campaign.yaml>',
        }),
      );
    const store = ManifestStore.open(state, id);
    if (!store.ok && store.error.code !== ErrorCode.CAMPAIGN_NOT_FOUND) return store;
    if (!store.ok)
      return err(
        lemError(ErrorCode.CAMPAIGN_NOT_FOUND, `no campaign "${id}" in ${state}/campaigns`, {
          hint: 'list campaigns with: lem campaign list',
        }),
      );
    const m = store.value.current;
    const queue = await slurmQueue(store.value.dir);
    if (this.json) {
      this.printJson({ ...m, counts: countStatuses(m), ...(queue === undefined ? {} : { slurm_jobs: queue }) });
      return ok(undefined);
    }
    const c = countStatuses(m);
    this.print(`campaign ${m.campaign_id} (${escapeControl(m.campaign_name)}) — ${m.status}`);
    this.print(`file: ${m.campaign_file}   created: ${m.created_at}   updated: ${m.updated_at}`);
    this.print(
      `${c.completed} completed, ${c.failed} failed, ${c.running} running, ${c.interrupted} interrupted, ${c.pending} pending, of ${c.total}\n`,
    );
    this.print(
      formatTable(
        ['id', 'cycle', 'backend', 'status', 'attempts', 'result / error'],
        m.experiments.map((e) => [
          e.id,
          String(e.cycle),
          e.backend,
          e.status,
          String(e.attempts),
          e.status === 'completed' ? (e.result_path ?? '') : (e.error ?? ''),
        ]),
      ),
    );
    if (queue !== undefined && (typeof queue === 'string' || queue.length > 0)) this.printQueue(queue);
    return ok(undefined);
  }

  private printQueue(queue: Exclude<Awaited<ReturnType<typeof slurmQueue>>, undefined>): void {
    if (typeof queue === 'string') {
      this.print(`\nSlurm jobs: ${queue}`);
      return;
    }
    this.print(`\nSlurm jobs not yet followed to their end (live from squeue):`);
    this.print(
      formatTable(
        ['job', 'state', 'reason', 'experiments'],
        queue.map((q) => [q.job_id, q.state, q.reason ?? '', q.experiments.join(', ')]),
      ),
    );
  }
}

/** A Slurm campaign's jobs still out there, or why they could not be asked about; undefined for a local one. */
async function slurmQueue(campaignDir: string) {
  const [{ queueView }, { slurmCommands }] = await Promise.all([
    import('../slurm/run/queue-view.js'),
    import('../slurm/commands.js'),
  ]);
  const r = await queueView(campaignDir, slurmCommands({ timeoutMs: 10_000 }));
  return r.ok ? r.value : `cannot ask Slurm: ${r.error.message}`;
}
