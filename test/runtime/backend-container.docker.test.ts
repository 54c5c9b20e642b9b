import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerBackendContainer } from '../../src/runtime/backend-container.js';
import { loadComposeProject } from '../../src/runtime/compose-file.js';
import { REPO } from '../support/lem-project.js';

const docker = new Docker();
const made: DockerBackendContainer[] = [];

function synthetic(project: string, edit: (t: string) => string = (t) => t): DockerBackendContainer {
  const dir = mkdtempSync(join(tmpdir(), 'lem-bc-'));
  writeFileSync(
    join(dir, 'compose.yaml'),
    edit(
      readFileSync(join(REPO, 'compose.yaml'), 'utf8').replace('./docker/harness:', `${join(REPO, 'docker/harness')}:`),
    ),
  );
  const p = loadComposeProject(dir, { withGpu: false, env: {} });
  if (!p.ok) throw new Error(p.error.message);
  const c = new DockerBackendContainer(docker, project, p.value.services['synthetic']!, {});
  made.push(c);
  return c;
}

afterEach(async () => {
  for (const c of made.splice(0)) await c.down();
});

describe('DockerBackendContainer lifecycle', { timeout: 60_000 }, () => {
  it('absent → created → healthy → already-running → removed', async () => {
    const c = synthetic(`bc${Date.now().toString(36)}`);
    expect((await c.state()).kind).toBe('absent');
    const up = await c.up();
    expect(up.ok && up.value).toBe('created');
    const h = await c.waitHealthy(30_000);
    expect(h.ok).toBe(true);
    const again = await c.up();
    expect(again.ok && again.value).toBe('already-running');
    const info = await c.handle().inspect();
    expect(info.HostConfig.Init).toBe(true);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    // The harness reads its image name from here (environment metadata).
    expect(info.Config.Env).toContain('LEM_CONTAINER_IMAGE=lem/synthetic:latest');
    expect((await c.down()).ok).toBe(true);
    expect((await c.state()).kind).toBe('absent');
  });

  it('recreates the container when compose.yaml changed since it was made', async () => {
    const name = `bc${Date.now().toString(36)}r`;
    const a = synthetic(name);
    await a.up();
    const idBefore = (await a.handle().inspect()).Id;
    const b = synthetic(name, (t) =>
      t.replace('PYTHONUNBUFFERED: "1"', 'PYTHONUNBUFFERED: "1"\n    LEM_MARK: "changed"'),
    );
    const up = await b.up();
    expect(up.ok && up.value).toBe('created');
    const info = await b.handle().inspect();
    expect(info.Id).not.toBe(idBefore);
    expect(info.Config.Env).toContain('LEM_MARK=changed');
  });

  it('a stopped container is reported with its exit code and comes back with restart()', async () => {
    const c = synthetic(`bc${Date.now().toString(36)}s`);
    await c.up();
    await c.handle().kill();
    const st = await c.state();
    expect(st.kind).toBe('stopped');
    expect((await c.restart()).ok).toBe(true);
    expect((await c.waitHealthy(30_000)).ok).toBe(true);
  });

  it('logsTail returns stdout and stderr of the container as text, demultiplexed', async () => {
    const c = synthetic(`bc${Date.now().toString(36)}l`, (t) =>
      t.replace(
        'command: ["sleep", "infinity"]',
        'command: ["sh", "-c", "echo to-stdout; echo to-stderr >&2; sleep infinity"]',
      ),
    );
    await c.up();
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('to-stderr'); i++) {
      logs = await c.logsTail(10);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs.split('\n').sort()).toEqual(['to-stderr', 'to-stdout']);
  });
});
