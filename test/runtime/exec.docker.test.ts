import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import Docker from 'dockerode';
import { GenericContainer, PullPolicy, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCapture, execInContainer } from '../../src/runtime/exec.js';
import { REPO } from '../support/lem-project.js';

// testcontainers starts a real lem/synthetic container (local image, never pulled); lem's own exec code runs
// against it through the Docker engine.
let container: StartedTestContainer;
let handle: Docker.Container;

beforeAll(async () => {
  container = await new GenericContainer('lem/synthetic:latest')
    .withPullPolicy(PullPolicy.neverPull())
    .withCommand(['sleep', 'infinity'])
    .withBindMounts([{ source: join(REPO, 'docker/harness'), target: '/app/harness', mode: 'ro' }])
    .withEnvironment({ PYTHONPATH: '/app/harness' })
    .start();
  handle = new Docker().getContainer(container.getId());
}, 60_000);

afterAll(async () => {
  await container?.stop({ timeout: 1 });
});

describe('execInContainer', () => {
  it('separates stdout lines from stderr and returns the exit code', async () => {
    const lines: string[] = [];
    let stderr = '';
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (stderr += d.toString()));
    const r = await execInContainer(handle, {
      cmd: ['sh', '-c', 'echo one; echo oops >&2; printf "two\\nthree"; exit 3'],
      onStdoutLine: (l) => lines.push(l),
      stderr: sink,
    });
    expect(r.exitCode).toBe(3);
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(stderr).toBe('oops\n');
  });

  it('keeps every line, in order, of a large output', async () => {
    const lines: string[] = [];
    const r = await execInContainer(handle, {
      cmd: ['python3', '-c', 'import sys\nfor i in range(20000): print(i)'],
      onStdoutLine: (l) => lines.push(l),
    });
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(20000);
    expect(lines.every((l, i) => l === String(i))).toBe(true);
  });

  it('reports a missing program as a non-zero exit, not a hang', async () => {
    const r = await execCapture(handle, ['no-such-program']);
    expect(r.exitCode).not.toBe(0);
  });

  it('abandons a command that outlives its timeout, saying so in the last stderr line', async () => {
    // sleep 60 would outlast the test's own 20 s limit: resolving at all shows lem stopped waiting.
    const r = await execCapture(handle, ['sh', '-c', 'echo partial >&2; sleep 60'], 500);
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.stderr.trim().split('\n')).toEqual([
      'partial',
      'sh -c echo partial >&2; sleep 60: no answer within 0.5 s; lem stopped waiting for it',
    ]);
  }, 20_000);

  it('a command that ends in time is not marked timed out', async () => {
    const r = await execCapture(handle, ['sh', '-c', 'sleep 0.2; exit 4'], 10_000);
    expect(r).toMatchObject({ exitCode: 4, timedOut: false });
  });

  it('runs the real harness health check in the container', async () => {
    const r = await execCapture(handle, ['python3', '-m', 'lem_harness', 'health']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  });
});

describe('execInContainer when the container dies', () => {
  it('resolves when the container is killed under a running exec', async () => {
    const victim = await new GenericContainer('lem/synthetic:latest')
      .withPullPolicy(PullPolicy.neverPull())
      .withCommand(['sleep', 'infinity'])
      .start();
    const h = new Docker().getContainer(victim.getId());
    const running = execInContainer(h, { cmd: ['sleep', '60'] });
    await new Promise((r) => setTimeout(r, 300));
    await h.kill();
    const r = await running;
    expect(r.exitCode === null || r.exitCode !== 0).toBe(true);
    await victim.stop({ timeout: 0 }).catch(() => undefined);
  }, 30_000);
});
