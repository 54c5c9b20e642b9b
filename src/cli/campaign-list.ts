import { Command, Option } from 'clipanion';
import { ok, type Result } from '../core/result.js';
import { escapeControl } from '../core/terminal-text.js';
import { LemCommand } from './base-command.js';
import { formatTable } from './table.js';

export class CampaignListCommand extends LemCommand {
  static override paths = [['campaign', 'list']];
  static override usage = Command.Usage({
    category: 'Campaigns',
    description: 'List the campaigns of this project, oldest first (by creation time), with their progress',
    examples: [['List campaigns', '$0 campaign list']],
  });

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
    const rows = [];
    for (const id of listCampaignIds(state)) {
      const s = ManifestStore.open(state, id);
      if (!s.ok) {
        rows.push({
          id,
          name: '?',
          status: `unreadable: ${s.error.message}`,
          completed: 0,
          failed: 0,
          total: 0,
          created_at: '',
        });
        continue;
      }
      const m = s.value.current;
      const c = countStatuses(m);
      rows.push({
        id,
        name: m.campaign_name,
        status: m.status,
        completed: c.completed,
        failed: c.failed,
        total: c.total,
        created_at: m.created_at,
      });
    }
    // Oldest first, as the help says: ids begin with the campaign's name, so sorting by id would group by name.
    rows.sort((a, b) =>
      a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    if (this.json) {
      this.printJson({ campaigns: rows });
      return ok(undefined);
    }
    if (rows.length === 0) {
      this.print(`no campaigns yet in ${state} (start one with: lem campaign run <campaign.yaml>)`);
      return ok(undefined);
    }
    this.print(
      formatTable(
        ['id', 'name', 'status', 'done', 'failed', 'created'],
        rows.map((r) => [
          r.id,
          escapeControl(r.name),
          r.status,
          `${r.completed}/${r.total}`,
          String(r.failed),
          r.created_at,
        ]),
      ),
    );
    return ok(undefined);
  }
}
