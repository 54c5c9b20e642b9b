import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jobEnd } from '../../src/slurm/run/batch-watch.js';
import { EventsTail } from '../../src/slurm/run/events-tail.js';
import { readJobRecords, recordSettled, recordSubmitted } from '../../src/slurm/run/job-records.js';
import { groupForJobs, MAX_ARRAY_TASKS } from '../../src/slurm/run/submit.js';
import { SlurmSection } from '../../src/slurm/settings.js';
import type { JobInfo } from '../../src/slurm/job-state.js';

const dir = mkdtempSync(join(tmpdir(), 'lem-slurm-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const job = (
  phase: JobInfo['phase'],
  state: string,
  exitCode: string | null,
  reason: string | null = null,
): JobInfo => ({
  jobId: '7_1',
  state,
  phase,
  reason,
  nodes: 'n1',
  exitCode,
  gpuIndices: [],
  comment: null,
});

describe('jobEnd', () => {
  it('reads the harness exit from a completed or failed job, and a job ended under it as not alive', () => {
    expect(jobEnd(job('completed', 'COMPLETED', '0:0'))).toMatchObject({ exitCode: 0, alive: true });
    expect(jobEnd(job('failed', 'FAILED', '1:0'))).toMatchObject({ exitCode: 1, alive: true });
    const t = jobEnd(job('timeout', 'TIMEOUT', '0:15', 'TimeLimit'));
    expect(t).toMatchObject({ exitCode: 0, alive: false });
    expect(t.description).toBe('Slurm job 7_1 ended TIMEOUT, reason TimeLimit');
    expect(jobEnd(undefined)).toMatchObject({ exitCode: null, alive: false });
  });
});

describe('groupForJobs', () => {
  it('puts batches of one GPU need into arrays of at most MAX_ARRAY_TASKS, small groups into plain jobs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2500 }),
        fc.integer({ min: 1, max: 30 }),
        (needs, min) => {
          const batches = needs.map((gpus, i) => ({ gpus, i }));
          const jobs = groupForJobs(batches, SlurmSection.parse({ array_min_batches: min }));
          // Every batch exactly once, in one job of its own GPU need.
          expect(
            jobs
              .flat()
              .map((b) => b.i)
              .sort((a, b) => a - b),
          ).toEqual(batches.map((b) => b.i));
          for (const j of jobs) {
            expect(new Set(j.map((b) => b.gpus)).size).toBe(1);
            expect(j.length).toBeLessThanOrEqual(MAX_ARRAY_TASKS);
            const same = needs.filter((n) => n === j[0]!.gpus).length;
            if (same < min) expect(j).toHaveLength(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('EventsTail', () => {
  it('returns whole lines as they are written, holds a cut line (and a cut character) until it ends', () => {
    const file = join(dir, 'e.jsonl');
    const tail = new EventsTail(file);
    expect(tail.read()).toEqual([]); // not created yet
    const started = JSON.stringify({ event: 'started', experiment_id: 'x', ts: 1 });
    writeFileSync(file, `${started}\nnot json\n{"event":"fai`);
    const first = tail.read();
    expect(first.map((i) => i.kind)).toEqual(['event', 'bad']);
    const bytes = Buffer.from('led","experiment_id":"x","ts":2,"reason":"é"}\n');
    appendFileSync(file, bytes.subarray(0, bytes.length - 4)); // inside the two bytes of é
    expect(tail.read()).toEqual([]);
    appendFileSync(file, bytes.subarray(bytes.length - 4));
    const [ev] = tail.read();
    expect(ev).toEqual({ kind: 'event', event: { event: 'failed', experiment_id: 'x', ts: 2, reason: 'é' } });
    appendFileSync(file, 'tail without newline');
    expect(tail.read()).toEqual([]);
    expect(tail.read(true)).toEqual([{ kind: 'bad', line: 'tail without newline', why: 'not JSON' }]);
  });
});

describe('job records', () => {
  it('keeps submitted batches until settled, forgives only a torn last line', () => {
    const file = join(dir, 'jobs.jsonl');
    const rec = (b: string, j: string) => ({
      batch_id: b,
      job_id: j,
      events: 'e',
      log: 'l',
      experiments: [{ id: 'x', attempts: 0 }],
    });
    expect(recordSubmitted(file, [rec('b1', '5_0')]).ok).toBe(true);
    expect(recordSubmitted(file, [rec('b2', '5_1')]).ok).toBe(true);
    expect(recordSettled(file, 'b1').ok).toBe(true);
    appendFileSync(file, '{"kind":"submi');
    const r = readJobRecords(file);
    expect(r.ok && r.value.all.map((b) => b.job_id)).toEqual(['5_0', '5_1']);
    expect(r.ok && r.value.unsettled.map((b) => b.batch_id)).toEqual(['b2']);
    appendFileSync(file, '\n{"kind":"settled"}\n');
    const bad = readJobRecords(file);
    expect(bad.ok).toBe(false);
  });
});
