import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { TestProject, collect, waitForOutput } from '../support/lem-project.js';

const projects: TestProject[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

function project(label: string): TestProject {
  const p = new TestProject(label);
  projects.push(p);
  return p;
}

function campaignIdFrom(output: string): string {
  const m = /campaign (\S+-[0-9a-f]{4,})/.exec(output);
  if (!m) throw new Error(`no campaign id in:\n${output}`);
  return m[1]!;
}

/** A serve campaign with the server lem starts in the synthetic backend's container (a test double). */
function campaign(o: {
  vary: string;
  requests?: number;
  synthetic?: string;
  readyTimeoutS?: number;
  retries?: number;
}): string {
  return `campaign_name: serve-lem
retries: ${o.retries ?? 1}
base_config:
  backend: synthetic
  model: {name: syn}
  mode: serve
  prompts: {count: 4}
  synthetic: {ttft_ms: 10, tokens_per_second: 200${o.synthetic ?? ''}}
  server: {ready_timeout_s: ${o.readyTimeoutS ?? 60}}
  measurement: {idle_baseline_s: 0.5, sample_interval_ms: 50}
  load: {concurrency: 1, requests: ${o.requests ?? 32}, warmup_requests: 2, max_tokens: 32, request_timeout_s: 30}
vary:
${o.vary}
`;
}

/** The experiment logs of a campaign, in run order (their ids start with the run index). */
function logs(p: TestProject, id: string): string[] {
  const dir = join(p.dir, '.state', 'campaigns', id, 'logs');
  return readdirSync(dir)
    .filter((f) => /^\d{4}-/.test(f))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

function results(p: TestProject, id: string): ResultDocument[] {
  const dir = join(p.dir, 'results', id);
  return readdirSync(dir)
    .sort()
    .map((e) => ResultDocument.parse(JSON.parse(readFileSync(join(dir, e, 'result.json'), 'utf8'))));
}

describe('serve mode with a server lem starts in the backend container (synthetic double)', () => {
  it('a concurrency sweep 1/4/16 runs on one server start, with simulated whole-run and steady-state energy', async () => {
    const p = project('servelem');
    const r = await p.lem(['campaign', 'run', p.write('c.yaml', campaign({ vary: '  load.concurrency: [1, 4, 16]' }))]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const id = campaignIdFrom(r.stdout + r.stderr);
    const l = logs(p, id);
    expect(l.join('').match(/\[server\] starting: python3 -m lem_harness serve-synthetic/g)).toHaveLength(1);
    expect(l[1]).toContain('[server] reusing the running server');
    expect(l[2]).toContain('[server] reusing the running server');
    expect(l[0]).toMatch(/\[server\] ready on http:\/\/127\.0\.0\.1:\d+ \(127\.0\.0\.1 only\)/);
    const docs = results(p, id);
    expect(docs.map((d) => d.serving!.load.concurrency)).toEqual([1, 4, 16]);
    for (const d of docs) {
      expect(d.simulated).toBe(true);
      expect(d.serving!.requests).toMatchObject({ total: 32, completed: 32, success_rate: 1 });
      const e = d.serving!.energy;
      expect(e).toMatchObject({ available: true, source: 'simulated', simulated: true });
      expect(e.whole_j).toBeGreaterThan(0);
      expect(e.baseline_w).toBeGreaterThan(50); // the power model's idle floor is 60 W
      expect(e.adjusted_j_per_output_token).toBeLessThan(e.j_per_output_token!);
      expect(d.warnings.join(' ')).toContain('not a measurement (simulated)');
    }
    // At 4 and 16 users the steady window is inside the run and has its own figures.
    for (const d of docs.slice(1)) {
      expect(d.serving!.windows.steady, d.serving!.windows.steady_reason ?? '').not.toBeNull();
      expect(d.serving!.energy.steady_j_per_output_token).toBeGreaterThan(0);
      expect(d.serving!.energy.steady_share).toBe(d.serving!.windows.steady!.share);
    }
    // The power model saturates: more users, fewer joules per token.
    const jpt = docs.map((d) => d.serving!.energy.j_per_output_token!);
    expect(jpt[2]).toBeLessThan(jpt[0]!);
    expect(await p.containers()).toEqual([]);
    const rep = await p.lem(['results', 'report', '--campaign', id]);
    expect(rep.code, rep.stderr).toBe(0);
  }, 180_000);

  it('changed server parameters restart the server, naming what changed', async () => {
    const p = project('servelemrs');
    const text = campaign({ vary: '  synthetic.ttft_ms: [10, 30]', requests: 8 });
    const r = await p.lem(['campaign', 'run', p.write('c.yaml', text)]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const l = logs(p, campaignIdFrom(r.stdout + r.stderr));
    expect(l.join('').match(/\[server\] starting:/g)).toHaveLength(2);
    expect(l[0]).toContain('--ttft-ms 10');
    expect(l[1]).toContain('stopping the server to start another (synthetic.ttft_ms: 10 -> 30)');
    expect(l[1]).toContain('--ttft-ms 30');
  }, 180_000);

  it('a server that is not ready in time fails the experiment with its last log lines', async () => {
    const p = project('servelemto');
    const text = campaign({
      vary: '  load.concurrency: [1]',
      synthetic: ', load_s: 30',
      readyTimeoutS: 2,
    });
    const r = await p.lem(['campaign', 'run', p.write('c.yaml', text.replace('retries: 1', 'retries: 0'))]);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const id = campaignIdFrom(r.stdout + r.stderr);
    const out = r.stdout + r.stderr + logs(p, id).join('');
    expect(out).toContain('is not ready within 2 s');
    expect(out).toContain(
      "last lines of the server's output:\n    synthetic server: loading the model (simulated, 30.0 s)",
    );
    expect(existsSync(join(p.dir, 'results', id))).toBe(false);
  }, 180_000);

  it('Ctrl-C during the load writes no partial result, and resume runs the experiment again', async () => {
    const p = project('servelemint');
    const file = p.write('c.yaml', campaign({ vary: '  load.concurrency: [2]', requests: 120 }));
    const child = p.spawn(['campaign', 'run', file]);
    const run = collect(child, 120_000);
    await waitForOutput(child, (t) => t.includes('started'), 90_000);
    await new Promise((res) => setTimeout(res, 3000));
    child.kill('SIGINT');
    const r = await run;
    expect(r.code, r.stderr + r.stdout).toBe(130);
    const id = campaignIdFrom(r.stdout + r.stderr);
    const folder = join(p.dir, 'results', id);
    expect(existsSync(folder) ? readdirSync(folder, { recursive: true }) : []).toEqual([]);
    expect(await p.containers()).toEqual([]);
    const resumed = await p.lem(['campaign', 'resume', id]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(results(p, id).map((d) => d.serving!.requests.completed)).toEqual([120]);
  }, 180_000);
});
