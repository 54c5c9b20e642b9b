import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFinished, parseIndexList, parseScontrolJobs, phaseOf } from '../../src/slurm/job-state.js';

// Captured from Debian's slurm-wlm 22.05 (scripts/slurm-up.sh), a 3-task array asking for 2 GPUs each on a
// node with 4: two tasks run on IDX 0-1 and 2-3, the third waits for Resources.
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'slurm', name), 'utf8');

describe('parseScontrolJobs', () => {
  it('reads each array task: id, state, reason, node, GPU indices, comment', () => {
    const jobs = parseScontrolJobs(fixture('scontrol-array-running-pending.txt'));
    expect(jobs).toHaveLength(3);
    const byTask = new Map(jobs.map((j) => [j.jobId.split('_')[1], j]));
    const pending = byTask.get('2')!;
    expect(pending).toMatchObject({
      phase: 'pending',
      reason: 'Resources',
      nodes: null,
      gpuIndices: [],
      comment: 'lem:camp1:b1',
    });
    const running = [byTask.get('0')!, byTask.get('1')!];
    for (const r of running) expect(r).toMatchObject({ phase: 'running', reason: null, nodes: 'vm' });
    expect(running.map((r) => r.gpuIndices).sort()).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('reads cancelled tasks as finished', () => {
    const jobs = parseScontrolJobs(fixture('scontrol-array-cancelled.txt'));
    expect(jobs.map((j) => j.phase)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(jobs.every((j) => isFinished(j.phase))).toBe(true);
  });
});

describe('phaseOf', () => {
  it.each([
    ['PENDING', 'pending'],
    ['REQUEUED', 'pending'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['COMPLETED', 'completed'],
    ['FAILED', 'failed'],
    ['TIMEOUT', 'timeout'],
    ['CANCELLED by 0', 'cancelled'],
    ['CANCELLED+', 'cancelled'],
    ['PREEMPTED', 'preempted'],
    ['NODE_FAIL', 'node_fail'],
    ['BOOT_FAIL', 'node_fail'],
    ['OUT_OF_MEMORY', 'out_of_memory'],
    ['SOMETHING_NEW', 'unknown'],
  ])('%s → %s', (state, phase) => expect(phaseOf(state)).toBe(phase));

  it('treats only terminal phases as finished', () => {
    expect(isFinished('pending')).toBe(false);
    expect(isFinished('running')).toBe(false);
    expect(isFinished('unknown')).toBe(false);
    expect(isFinished('timeout')).toBe(true);
  });
});

describe('parseIndexList', () => {
  it('expands ranges and lists', () => {
    expect(parseIndexList('0-1')).toEqual([0, 1]);
    expect(parseIndexList('0,2-3,7')).toEqual([0, 2, 3, 7]);
    expect(parseIndexList('')).toEqual([]);
  });
});
