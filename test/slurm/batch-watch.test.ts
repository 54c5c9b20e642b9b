import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pendingEntry } from '../../src/campaign/manifest.js';
import { ManifestStore } from '../../src/campaign/manifest-store.js';
import type { ProgressReporter } from '../../src/campaign/progress.js';
import type { JobInfo } from '../../src/slurm/job-state.js';
import { BatchWatch } from '../../src/slurm/run/batch-watch.js';

// One batch job's events file and end, folded through the run reducer into a real manifest on disk.
let dir: string;
let store: ManifestStore;
const cancelled: string[] = [];
const notes: string[] = [];
const progress: ProgressReporter = {
  waiting: () => undefined,
  begin: () => undefined,
  phase: () => undefined,
  done: () => undefined,
  note: (t) => void notes.push(t),
  end: () => undefined,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lem-watch-'));
  const now = new Date().toISOString();
  const entry = pendingEntry({ id: 'e1', index: 0, cycle: 1, backend: 'synthetic', config_hash: 'h' });
  store = ManifestStore.create(join(dir, 'state'), {
    schema_version: 1,
    campaign_id: 'c',
    campaign_name: 'c',
    campaign_file: 'c.yaml',
    created_at: now,
    updated_at: now,
    seq: 0,
    status: 'running',
    experiments: [entry],
  });
  cancelled.length = 0;
  notes.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function watch(attempts = 0, timeoutS = 3600): { w: BatchWatch; events: string } {
  const events = join(dir, 'b.7_1.events.jsonl');
  const w = new BatchWatch(
    {
      store,
      progress,
      campaignId: 'c',
      projectDir: dir,
      hostResults: join(dir, 'results'),
      retries: 1,
      timeoutS,
      cancel: (id) => void cancelled.push(id),
    },
    {
      kind: 'submitted',
      batch_id: 'b',
      job_id: '7_1',
      events,
      log: join(dir, 'b.7_1.log'),
      experiments: [{ id: 'e1', attempts }],
      at: 'now',
    },
  );
  return { w, events };
}

const ended = (state: string, phase: JobInfo['phase'], reason: string | null = null): JobInfo => ({
  jobId: '7_1',
  state,
  phase,
  reason,
  nodes: 'n1',
  exitCode: '0:15',
  gpuIndices: [2],
  comment: 'lem:c',
});
const line = (o: object) => JSON.stringify(o) + '\n';
const started = line({ event: 'started', experiment_id: 'e1', ts: 1 });
const interrupted = line({ event: 'failed', experiment_id: 'e1', ts: 2, reason: 'interrupted (SIGTERM)' });

describe('BatchWatch', () => {
  it('records where the job ran, and a job ended by its time limit as a failed attempt, not an interruption', () => {
    const { w, events } = watch();
    writeFileSync(events, started);
    w.placed({ ...ended('RUNNING', 'running'), exitCode: null });
    w.poll(undefined, false);
    expect(store.entry('e1')).toMatchObject({
      status: 'running',
      attempts: 1,
      container: 'slurm job 7_1 on n1, GPU 2',
      gpus: [2],
    });
    writeFileSync(events, started + interrupted);
    w.poll(ended('TIMEOUT', 'timeout', 'TimeLimit'), true);
    expect(w.ended).toBe(true);
    const e = store.entry('e1');
    expect(e.status).toBe('failed');
    expect(e.attempts).toBe(1);
    expect(e.error).toMatch(/^Slurm job 7_1 ended TIMEOUT, reason TimeLimit \(the harness: interrupted/);
  });

  it("lem's own cancel (Ctrl-C without --detach) interrupts without spending the attempt", () => {
    const { w, events } = watch();
    writeFileSync(events, started);
    w.poll(undefined, false);
    w.abort();
    expect(cancelled).toEqual(['7_1']);
    writeFileSync(events, started + interrupted);
    w.poll(ended('CANCELLED', 'cancelled'), true);
    expect(store.entry('e1')).toMatchObject({ status: 'interrupted', attempts: 0 });
  });

  it("a user's scancel of a running job interrupts its experiment (cancelled, not failed; no attempt spent)", () => {
    const { w, events } = watch();
    writeFileSync(events, started + interrupted);
    w.poll(ended('CANCELLED', 'cancelled'), true);
    expect(cancelled).toEqual([]);
    const e = store.entry('e1');
    expect([e.status, e.attempts]).toEqual(['interrupted', 0]);
    expect(e.error).toMatch(/^interrupted: Slurm job 7_1 ended CANCELLED, cancelled outside lem \(scancel\)/);
    expect(notes.join('\n')).toMatch(/cancelled outside lem .*submitted again/);
  });

  it("a user's scancel of a job that had not started anything spends no attempt either", () => {
    const { w } = watch(1);
    w.poll(ended('CANCELLED', 'cancelled'), true);
    expect(w.ended).toBe(true);
    const e = store.entry('e1');
    expect([e.status, e.attempts]).toEqual(['interrupted', 1]);
  });

  it("lem's own cancel of an experiment past experiment_timeout_s stays a failed attempt", async () => {
    const { w, events } = watch(0, 0.05);
    writeFileSync(events, started);
    w.poll(undefined, false);
    // The watchdog's timeout (50 ms, a real timer) makes lem cancel the job itself.
    await vi.waitFor(() => expect(cancelled).toEqual(['7_1']), { timeout: 5000 });
    writeFileSync(events, started + interrupted);
    w.poll(ended('CANCELLED', 'cancelled'), true);
    const e = store.entry('e1');
    expect([e.status, e.attempts]).toEqual(['failed', 1]);
    expect(e.error).toMatch(/timed out/);
  });

  it('a job gone before its container wrote anything spends an attempt, so it cannot loop', () => {
    const { w } = watch(1);
    w.poll(undefined, true);
    const e = store.entry('e1');
    expect(e.status).toBe('failed');
    expect(e.attempts).toBe(2);
    expect(e.error).toMatch(/no longer known to Slurm.*no experiment of the batch started/);
  });
});
