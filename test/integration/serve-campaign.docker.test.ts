import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { TestProject, collect } from '../support/lem-project.js';
import { startServer, streamTokens, type TestServer } from '../support/stream-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function campaignIdFrom(output: string): string {
  const m = /campaign (\S+-[0-9a-f]{4,})/.exec(output) ?? /resume (\S+)/.exec(output);
  if (!m) throw new Error(`no campaign id in:\n${output}`);
  return m[1]!;
}

/** A serve campaign against an external endpoint (a server started by the test on 127.0.0.1). */
function serveCampaign(url: string, requests: number): string {
  return `campaign_name: serve-itest
base_config:
  model: {name: m}
  mode: serve
  prompts: {count: 4}
  load: {concurrency: 1, requests: ${requests}, warmup_requests: 1, max_tokens: 8}
  endpoint: {url: "${url}", model: m}
vary:
  load.concurrency: [1, 4, 16]
`;
}

async function setup(label: string, server: TestServer): Promise<TestProject> {
  const p = new TestProject(label);
  cleanups.push(
    () => server.close(),
    () => p.cleanup(),
  );
  return p;
}

describe('lem campaign run with an external endpoint (no container)', () => {
  it('a concurrency sweep 1/4/16 completes, one result each with energy null and its reason', async () => {
    const server = await startServer(streamTokens({ tokens: 8, gapMs: 1 }));
    const p = await setup('serveext', server);
    const r = await p.lem(['campaign', 'run', p.write('c.yaml', serveCampaign(server.url, 20))]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const id = readdirSync(join(p.dir, 'results'))[0]!;
    const docs = readdirSync(join(p.dir, 'results', id)).map((e) =>
      ResultDocument.parse(JSON.parse(readFileSync(join(p.dir, 'results', id, e, 'result.json'), 'utf8'))),
    );
    expect(docs.map((d) => d.serving!.load.concurrency).sort((a, b) => a! - b!)).toEqual([1, 4, 16]);
    for (const d of docs) {
      expect(d.serving!.requests).toMatchObject({ total: 20, completed: 20, success_rate: 1 });
      expect(d.energy.available).toBe(false);
      expect(d.energy.reason).toContain('external endpoint');
    }
    expect(await p.containers()).toEqual([]);
    const agg = await p.lem(['results', 'aggregate', '--campaign', id]);
    expect(agg.code, agg.stderr).toBe(0);
  }, 120_000);

  it('Ctrl-C during a load run cancels it, writes no partial result; resume runs that experiment again', async () => {
    const server = await startServer(streamTokens({ tokens: 40, gapMs: 10 }));
    const p = await setup('serveint', server);
    const file = p.write('c.yaml', serveCampaign(server.url, 30));
    const child = p.spawn(['campaign', 'run', file]);
    const run = collect(child, 120_000);
    while (server.stats.received < 3) await new Promise((res) => setTimeout(res, 50));
    child.kill('SIGINT');
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    const id = campaignIdFrom(r.stdout + r.stderr);
    const folder = join(p.dir, 'results', id);
    const written = existsSync(folder) ? readdirSync(folder, { recursive: true }) : [];
    expect(written, r.stdout + r.stderr).toEqual([]);
    const resumed = await p.lem(['campaign', 'resume', id]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(readdirSync(join(p.dir, 'results', id))).toHaveLength(3);
  }, 180_000);
});
