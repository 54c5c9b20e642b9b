import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { execCapture } from '../../src/runtime/exec.js';
import {
  collect,
  LEM_BIN,
  syntheticCampaign,
  TestProject,
  type LemRun,
  useTestProjects,
} from '../support/lem-project.js';

// Real Docker engine, the locally built lem/synthetic image, the built CLI as a real process. What a backend
// container may do is checked from inside it (docker exec) and from the engine's own record (inspect).

const docker = new Docker();
const project = useTestProjects();

/** Inserts lines into the synthetic service of compose.yaml. */
const inSynthetic = (lines: string) => (t: string) =>
  t.replace('    image: lem/synthetic:latest\n', `    image: lem/synthetic:latest\n${lines}`);

async function execIn(container: string, cmd: string[]): Promise<{ code: number | null; out: string }> {
  const r = await execCapture(docker.getContainer(container), cmd);
  return { code: r.exitCode, out: r.stdout + r.stderr };
}

/**
 * A host user that is not root: this one when the tests run as a user, else uid/gid 4242 (setpriv), given the
 * Docker socket's group so that lem can reach the engine as that user.
 */
const HOST_UID = process.getuid!() === 0 ? 4242 : process.getuid!();
const HOST_GID = process.getuid!() === 0 ? 4242 : process.getgid!();

function lemAsHostUser(p: TestProject, args: readonly string[]): Promise<LemRun> {
  const env = { ...p.env, HOME: p.dir };
  if (process.getuid!() !== 0) return p.lem(args);
  const sockGid = statSync('/var/run/docker.sock').gid;
  const argv = [
    `--reuid=${HOST_UID}`,
    `--regid=${HOST_GID}`,
    `--groups=${sockGid}`,
    process.execPath,
    LEM_BIN,
    ...args,
  ];
  return collect(spawn('setpriv', argv, { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] }), 120_000);
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) chownTree(path, uid, gid);
    else chownSync(path, uid, gid);
  }
}

describe(
  'compose.yaml: interpolation reaches the container, unsupported keys are refused',
  { timeout: 120_000 },
  () => {
    it("${VAR} from the environment lem runs in reaches the container; lem's own health check is reported as such", async () => {
      const p = project('interp', {
        editCompose: inSynthetic(
          '    environment:\n      LEM_PROBE: "${LEM_TEST_PROBE}/${LEM_TEST_UNSET:-fallback}"\n    healthcheck:\n      test: ["CMD", "python3", "-m", "lem_harness", "health"]\n      interval: 120s\n',
        ),
      });
      const up = await p.lem(['backends', 'up', 'synthetic'], { env: { LEM_TEST_PROBE: 'probe-7f3a' } });
      expect(up.code, up.stderr).toBe(0);
      const info = await docker.getContainer(`lem-${p.name}-synthetic`).inspect();
      expect(info.Config.Env).toContain('LEM_PROBE=probe-7f3a/fallback');
      // Docker's first check comes 120 s after start: lem's check passed, and `up` and `status` say the same thing.
      expect((info.State as { Health?: { Status: string } }).Health?.Status).toBe('starting');
      expect(up.stdout).toContain(
        `synthetic: healthy (lem-${p.name}-synthetic): lem's health check passed; Docker's own first check is pending`,
      );
      const st = await p.lem(['backends', 'status', 'synthetic', '--json'], { env: { LEM_TEST_PROBE: 'probe-7f3a' } });
      expect(st.code, st.stderr).toBe(0);
      expect(JSON.parse(st.stdout).backends[0]).toMatchObject({ state: 'healthy', checked_by: 'lem' });
      const text = await p.lem(['backends', 'status', 'synthetic'], { env: { LEM_TEST_PROBE: 'probe-7f3a' } });
      expect(text.stdout).toContain("healthy (lem's health check passed; Docker's own first check is pending)");
    });

    it('an unsupported key fails `backends up` and `campaign run` with exit 2 and file:line:key, starting nothing', async () => {
      const p = project('refuse', { editCompose: inSynthetic('    restart: always\n') });
      const line =
        readFileSync(join(p.dir, 'compose.yaml'), 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('restart: always')) + 1;
      const want = `${join(p.dir, 'compose.yaml')}:${line}: services.synthetic.restart: lem does not honour "restart"`;
      const up = await p.lem(['backends', 'up', 'synthetic']);
      expect(up.code).toBe(2);
      expect(up.stderr).toContain(want);
      p.write('c.yaml', syntheticCampaign({ sizes: [1] }));
      const run = await p.lem(['campaign', 'run', 'c.yaml']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(want);
      expect(await p.containers()).toEqual([]);
    });

    it('an unset ${VAR} without a default is refused at its line', async () => {
      const p = project('unset', {
        editCompose: inSynthetic('    environment:\n      MODEL_DIR: ${LEM_TEST_NEVER_SET}\n'),
      });
      const up = await p.lem(['backends', 'up', 'synthetic']);
      expect(up.code).toBe(2);
      expect(up.stderr).toMatch(/compose\.yaml:\d+: \$\{LEM_TEST_NEVER_SET\} is not set in the environment/);
    });

    it('DEBUG=lem:docker traces every Docker call with its duration', async () => {
      const p = project('trace');
      const st = await p.lem(['backends', 'status', 'synthetic'], { env: { DEBUG: 'lem:docker' } });
      expect(st.code, st.stderr).toBe(0);
      expect(st.stderr).toMatch(/^\[lem:docker\] docker GET \/_ping ok \d+\.\d ms$/m);
      expect(st.stderr).toMatch(
        new RegExp(
          `^\\[lem:docker\\] docker GET /containers/lem-${p.name}-synthetic/json failed \\(404\\) \\d+\\.\\d ms$`,
          'm',
        ),
      );
      const quiet = await p.lem(['backends', 'status', 'synthetic']);
      expect(quiet.stderr).not.toContain('[lem:docker]');
    });
  },
);

describe('a backend container gets least privilege', { timeout: 180_000 }, () => {
  it("runs as the host user without capabilities; cannot reach .state or write batch specs; results are the user's", async () => {
    const p = project('priv');
    p.write('c.yaml', syntheticCampaign({ sizes: [1] }));
    mkdirSync(join(p.dir, 'configs'));
    chownTree(p.dir, HOST_UID, HOST_GID);

    const run = await lemAsHostUser(p, ['campaign', 'run', 'c.yaml', '--keep-backends']);
    expect(run.code, run.stderr).toBe(0);
    const name = `lem-${p.name}-synthetic`;
    const info = await docker.getContainer(name).inspect();
    expect(info.Config.User).toBe(`${HOST_UID}:${HOST_GID}`);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.CapAdd ?? []).toEqual([]);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.Mounts.map((m) => m.Destination).sort()).toEqual([
      '/app/batches',
      '/app/cache',
      '/app/configs',
      '/app/harness',
      '/app/results',
    ]);

    // From inside: not root, no effective capability, no .state, batch specs read-only, results and cache writable.
    const sh = (script: string) => execIn(name, ['sh', '-c', script]);
    expect((await sh('id -u')).out.trim()).toBe(String(HOST_UID));
    expect((await sh('grep CapEff /proc/self/status')).out).toMatch(/CapEff:\s+0{16}/);
    const state = await sh('touch /app/.state/x');
    expect(state.code).not.toBe(0);
    expect(state.out).toMatch(/No such file or directory/);
    const batches = await sh('ls /app/batches/*/ >/dev/null && touch /app/batches/x');
    expect(batches.code).not.toBe(0);
    expect(batches.out).toMatch(/Read-only file system/);
    expect((await sh('touch /app/results/ok /app/cache/ok && ls /tmp/lem-pycache >/dev/null')).code).toBe(0);

    // Results the harness wrote belong to the host user, and so does everything lem made.
    const results = join(p.dir, 'results');
    const campaign = readdirSync(results).find((d) => !d.startsWith('_') && d !== 'ok')!;
    const experiment = readdirSync(join(results, campaign))[0]!;
    const doc = statSync(join(results, campaign, experiment, 'result.json'));
    expect([doc.uid, doc.gid]).toEqual([HOST_UID, HOST_GID]);
    for (const dir of ['.state/batches', '.state/cache', 'results'])
      expect(statSync(join(p.dir, dir)).uid).toBe(HOST_UID);
  });
});
