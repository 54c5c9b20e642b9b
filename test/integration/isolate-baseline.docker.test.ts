import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { campaignIdFrom, collect, syntheticCampaign, useTestProjects, waitForOutput } from '../support/lem-project.js';
import { manifestOf } from '../support/manifest-of.js';

// isolate_baseline for real: the built CLI, the real Docker engine, the real harness (synthetic engine) and 2
// pretend GPUs (the test aid LEM_GPUS). Each experiment is a batch of its own (force_cold_start), so two run side
// by side. The proof is read from the results: no experiment's isolated window (gate granted until baselines done)
// overlaps any other experiment's work (its own isolated window, or resume until finish).

const project = useTestProjects();

const ms = (iso: string | null | undefined) => Date.parse(iso!);
const overlap = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

describe('isolate_baseline with placement: pack on 2 pretend GPUs', () => {
  it('takes every baseline while no other experiment works, and still measures experiments side by side', async () => {
    const p = project('isolate');
    const extra = 'placement: pack\nisolate_baseline: true\nforce_cold_start: true\n';
    const campaign = syntheticCampaign({ sizes: [1, 2, 4], cycles: 2, seconds: 2, extra }).replace(
      'idle_baseline_s: 0',
      'idle_baseline_s: 1',
    );
    p.write('c.yaml', campaign);
    const r = await p.lem(['campaign', 'run', 'c.yaml'], { env: { LEM_GPUS: '2' }, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(p.dir, campaignIdFrom(r.stdout));
    expect(m.experiments).toHaveLength(6);
    const runs = m.experiments.map((e) => {
      expect(e.status).toBe('completed');
      const doc = ResultDocument.parse(JSON.parse(readFileSync(join(p.dir, e.result_path!), 'utf8')));
      const w = doc.placement!.isolated_baseline!;
      expect(w, e.id).toBeDefined();
      const gate: [number, number] = [ms(w.granted_at), ms(w.done_at)];
      const work: [number, number] = [ms(w.resumed_at), ms(doc.timing.finished_at)];
      // The baseline (1 s of loaded_idle) lies inside the isolated window, and the work after it.
      expect(gate[1] - gate[0]).toBeGreaterThanOrEqual(900);
      expect(work[0]).toBeGreaterThanOrEqual(gate[1]);
      return { id: e.id, gate, work };
    });
    for (const a of runs) {
      for (const b of runs) {
        if (a === b) continue;
        expect(overlap(a.gate, b.gate), `${a.id} and ${b.id} held the gate at once`).toBe(false);
        expect(overlap(a.gate, b.work), `${b.id} worked during ${a.id}'s baseline`).toBe(false);
      }
    }
    // Not merely serial: some experiments were measured side by side.
    const packed = runs.some((a) => runs.some((b) => a !== b && overlap(a.work, b.work)));
    expect(packed).toBe(true);
    // The gate's markers are gone with the run.
    expect(existsSync(join(p.dir, 'results', m.campaign_id, '.baseline-gate'))).toBe(false);
    expect(await p.containers()).toEqual([]);
  }, 300_000);

  it('Ctrl-C while experiments wait at the gate: exit 130, no partial result, the gate folder gone', async () => {
    const p = project('isolateint');
    const extra = 'placement: pack\nisolate_baseline: true\nforce_cold_start: true\n';
    const campaign = syntheticCampaign({ sizes: [1, 2, 4], seconds: 20, extra }).replace(
      'idle_baseline_s: 0',
      'idle_baseline_s: 1',
    );
    p.write('c.yaml', campaign);
    const child = p.spawn(['campaign', 'run', 'c.yaml'], { LEM_GPUS: '2' });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const run = collect(child, 180_000);
    await waitForOutput(child, (t) => / started/.test(t), 180_000);
    // One experiment measures (20 s) while the other waits at the gate for it: a `.want` lem has not answered.
    const gate = join(p.dir, 'results', campaignIdFrom(out), '.baseline-gate');
    const waiting = () =>
      existsSync(gate) &&
      readdirSync(gate).some((n) => n.endsWith('.want') && !existsSync(join(gate, n.replace(/want$/, 'go'))));
    for (let i = 0; i < 300 && !waiting(); i++) await new Promise((res) => setTimeout(res, 100));
    expect(waiting(), 'a harness waiting at the gate').toBe(true);
    child.kill('SIGINT');
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    const cid = campaignIdFrom(r.stdout);
    const m = manifestOf(p.dir, cid);
    expect(m.status).toBe('interrupted');
    for (const e of m.experiments) expect(existsSync(join(p.dir, 'results', cid, e.id, 'result.json'))).toBe(false);
    expect(existsSync(join(p.dir, 'results', cid, '.baseline-gate'))).toBe(false);
    expect(await p.containers()).toEqual([]);
  }, 240_000);

  it('isolate_baseline without placement: pack is refused at its line (exit 2), nothing created', async () => {
    const p = project('isolatebad');
    p.write('c.yaml', syntheticCampaign({ extra: 'isolate_baseline: true\n' }));
    const r = await p.lem(['campaign', 'run', 'c.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/c\.yaml:\d+:\d+.*isolate_baseline.*only placement: pack/);
    expect(await p.containers()).toEqual([]);
  });
});
