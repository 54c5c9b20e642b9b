import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/core/errors.js';
import { hostPathFor, loadComposeProject, parseDuration, parseSize } from '../../src/runtime/compose-file.js';
import { containerCreateOptions } from '../../src/runtime/compose/create-options.js';
import type { ServiceDefinition } from '../../src/runtime/compose-file.js';

const REPO = join(import.meta.dirname, '..', '..');

function project(compose: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'lem-compose-'));
  writeFileSync(join(dir, 'compose.yaml'), compose);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function load(
  compose: string,
  opts: { env?: Record<string, string>; files?: Record<string, string>; gpu?: boolean } = {},
) {
  const dir = project(compose, opts.files);
  return { dir, r: loadComposeProject(dir, { withGpu: opts.gpu ?? false, env: opts.env ?? {} }) };
}

function service(compose: string, opts: Parameters<typeof load>[1] = {}): ServiceDefinition {
  const { r } = load(compose, opts);
  if (!r.ok) throw new Error(r.error.issues?.map(formatIssue).join('\n') ?? r.error.message);
  return r.value.services['x']!;
}

/** The problems lem reports, as the user reads them: "file:line: path: message" with the folder left out. */
function problems(compose: string, opts: Parameters<typeof load>[1] = {}): string[] {
  const { dir, r } = load(compose, opts);
  if (r.ok) return [];
  return (r.error.issues ?? [{ message: r.error.message }]).map((i) => formatIssue(i).replaceAll(`${dir}/`, ''));
}

const create = (s: ServiceDefinition, env: Record<string, string> = {}) =>
  containerCreateOptions(s, { containerName: 'c', labels: { 'org.lem.project': 'p' }, env });

const svc = (body: string) => `services:\n  x:\n    image: i\n${body}`;

describe("the repository's compose.yaml", () => {
  it('loads every backend with least privilege: batches read-only, no .state, caps dropped, mapped user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lem-compose-'));
    copyFileSync(join(REPO, 'compose.yaml'), join(dir, 'compose.yaml'));
    copyFileSync(join(REPO, 'compose.gpu.yaml'), join(dir, 'compose.gpu.yaml'));
    const r = loadComposeProject(dir, { withGpu: false, env: { LEM_UID: '1234', LEM_GID: '5678' } });
    if (!r.ok) throw new Error(r.error.issues?.map(formatIssue).join('\n') ?? r.error.message);
    const s = r.value.services;
    expect(Object.keys(s).sort()).toEqual(['synthetic', 'tensorrt', 'transformers', 'vllm']);
    for (const def of Object.values(s)) {
      expect(def.user).toBe('1234:5678');
      expect(def.capDrop).toEqual(['ALL']);
      expect(def.binds.find((b) => b.target === '/app/batches')).toEqual({
        source: join(dir, '.state/batches'),
        target: '/app/batches',
        readOnly: true,
      });
      expect(def.binds.find((b) => b.target === '/app/harness')!.readOnly).toBe(true);
      expect(def.binds.some((b) => b.target === '/app/.state' || b.source === join(dir, '.state'))).toBe(false);
      expect(def.env['HF_HOME']).toBe('/app/cache/huggingface');
    }
    expect(hostPathFor(s['vllm']!, '/app/results')).toBe(join(dir, 'results'));
    expect(s['vllm']!.secretNames).toEqual(['HF_TOKEN']);
    expect(s['vllm']!.env['HF_TOKEN']).toBeUndefined();
    expect(s['synthetic']!.gpus).toEqual([]);
    expect(s['synthetic']!.healthcheck!.intervalNs).toBe(2e9);
    expect(s['vllm']!.buildContext).toBe(join(dir, 'docker/vllm'));
    const opts = create(s['synthetic']!);
    expect(opts.HostConfig?.SecurityOpt).toEqual(['no-new-privileges']);
    expect(opts.HostConfig?.PidsLimit).toBeGreaterThan(0);

    const gpu = loadComposeProject(dir, { withGpu: true, env: {} });
    if (!gpu.ok) throw new Error(gpu.error.message);
    expect(gpu.value.services['vllm']!.gpus).toEqual([
      { driver: 'nvidia', count: -1, deviceIds: [], capabilities: ['gpu'], options: {} },
    ]);
    expect(gpu.value.services['vllm']!.user).toBe('0:0'); // no LEM_UID given: compose's default in the file
  });
});

describe('keys lem honours land in the dockerode create options', () => {
  it('image, init, command, entrypoint, working_dir, user, group_add, stop_signal', () => {
    const o = create(
      service(
        svc(
          '    init: false\n    command: ["a", "b"]\n    entrypoint: []\n    working_dir: /w\n    user: "1:2"\n    group_add: [video, 44]\n    stop_signal: SIGINT\n',
        ),
      ),
    );
    expect(o).toMatchObject({
      Image: 'i',
      Cmd: ['a', 'b'],
      Entrypoint: [],
      WorkingDir: '/w',
      User: '1:2',
      StopSignal: 'SIGINT',
    });
    expect(o.HostConfig).toMatchObject({ Init: false, GroupAdd: ['video', '44'] });
  });

  it('volumes (short and long syntax), tmpfs, read_only', () => {
    const s = service(
      svc(
        '    volumes: ["./r:/app/results", "/abs:/a:ro", {type: bind, source: ./l, target: /l, read_only: true}]\n    tmpfs: ["/t:size=64m", /u]\n    read_only: true\n',
      ),
    );
    const o = create(s);
    expect(o.HostConfig?.Binds).toEqual([
      `${hostPathFor(s, '/app/results')}:/app/results`,
      '/abs:/a:ro',
      `${hostPathFor(s, '/l')}:/l:ro`,
    ]);
    expect(o.HostConfig).toMatchObject({ Tmpfs: { '/t': 'size=64m', '/u': '' }, ReadonlyRootfs: true });
  });

  it('environment (map and list), env_file (relative, interpolated, overridden by environment), x-lem-secrets', () => {
    const s = service(
      svc(
        '    env_file: [a.env, {path: missing.env, required: false}]\n    environment:\n      A: "from environment"\n      N: 3\n      PASSED:\n    x-lem-secrets: [TOKEN]\n',
      ),
      {
        env: { HOME_DIR: '/h', TOKEN: 'secret', PASSED: 'p' },
        files: { 'a.env': 'A=from file\nB=${HOME_DIR}/b\n' },
      },
    );
    expect(s.env).toEqual({ A: 'from environment', B: '/h/b', N: '3' });
    expect(s.secretNames).toEqual(['TOKEN', 'PASSED']);
    const o = create(s, { TOKEN: 'secret', PASSED: 'p' });
    expect(o.Env).toEqual(['A=from environment', 'B=/h/b', 'N=3', 'LEM_CONTAINER_IMAGE=i', 'TOKEN=secret', 'PASSED=p']);
    expect(service(svc('    environment: ["A=1", "HF_TOKEN"]\n')).secretNames).toEqual(['HF_TOKEN']);
  });

  it("labels, keeping lem's own labels lem's", () => {
    const o = create(service(svc('    labels: {team: energy}\n')));
    expect(o.Labels).toEqual({ team: 'energy', 'org.lem.project': 'p' });
    expect(problems(svc('    labels: ["org.lem.service=x"]\n'))).toEqual([
      'compose.yaml:4: services.x.labels: label "org.lem.service": labels starting with org.lem. are lem\'s own',
    ]);
  });

  it('devices, runtime, gpus, deploy reservations', () => {
    const s = service(
      svc(
        '    devices: ["/dev/nvidia0", "/dev/fuse:/dev/f:r"]\n    runtime: nvidia\n    gpus: all\n    deploy:\n      resources:\n        reservations:\n          devices: [{driver: nvidia, device_ids: ["1"], capabilities: [gpu, utility]}]\n',
      ),
    );
    const o = create(s);
    expect(o.HostConfig?.Devices).toEqual([
      { PathOnHost: '/dev/nvidia0', PathInContainer: '/dev/nvidia0', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/f', CgroupPermissions: 'r' },
    ]);
    expect(o.HostConfig?.Runtime).toBe('nvidia');
    expect(o.HostConfig?.DeviceRequests).toEqual([
      { Driver: 'nvidia', Count: 0, DeviceIDs: ['1'], Capabilities: [['gpu', 'utility']], Options: undefined },
      { Driver: 'nvidia', Count: -1, DeviceIDs: undefined, Capabilities: [['gpu']], Options: undefined },
    ]);
  });

  it('cap_add, cap_drop, security_opt (no-new-privileges always), privileged: false', () => {
    const o = create(
      service(
        svc('    cap_drop: [ALL]\n    cap_add: [SYS_NICE]\n    security_opt: ["apparmor=x"]\n    privileged: false\n'),
      ),
    );
    expect(o.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      CapAdd: ['SYS_NICE'],
      SecurityOpt: ['no-new-privileges', 'apparmor=x'],
      Privileged: false,
    });
  });

  it('mem_limit, memswap_limit, pids_limit, cpus, ulimits, shm_size, ipc', () => {
    const o = create(
      service(
        svc(
          '    mem_limit: 2g\n    memswap_limit: 3g\n    pids_limit: 100\n    cpus: 1.5\n    ulimits: {nofile: {soft: 1024, hard: 4096}, memlock: -1}\n    shm_size: 8gb\n    ipc: host\n',
        ),
      ),
    );
    expect(o.HostConfig).toMatchObject({
      Memory: 2 * 1024 ** 3,
      MemorySwap: 3 * 1024 ** 3,
      PidsLimit: 100,
      NanoCpus: 1.5e9,
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 4096 },
        { Name: 'memlock', Soft: -1, Hard: -1 },
      ],
      ShmSize: 8 * 1024 ** 3,
      IpcMode: 'host',
    });
    const d = create(service(svc('    deploy: {resources: {limits: {memory: 1g, pids: 50, cpus: "2"}}}\n')));
    expect(d.HostConfig).toMatchObject({ Memory: 1024 ** 3, PidsLimit: 50, NanoCpus: 2e9 });
  });

  it('healthcheck: list, shell string, NONE and disable', () => {
    const o = create(
      service(
        svc('    healthcheck: {test: ["CMD", "true"], interval: 1s, timeout: 500ms, retries: 2, start_period: 1m}\n'),
      ),
    );
    expect(o.Healthcheck).toEqual({
      Test: ['CMD', 'true'],
      Interval: 1e9,
      Timeout: 5e8,
      Retries: 2,
      StartPeriod: 60e9,
    });
    expect(service(svc('    healthcheck: {test: "exit 0"}\n')).healthcheck?.test).toEqual(['CMD-SHELL', 'exit 0']);
    expect(service(svc('    healthcheck: {test: [NONE]}\n')).healthcheck).toBeUndefined();
    expect(service(svc('    healthcheck: {test: [CMD, x], disable: true}\n')).healthcheck).toBeUndefined();
  });

  it('build gives the hint for a missing image; version and x- extensions change nothing', () => {
    const { dir, r } = load(
      'version: "3.9"\nx-anchor: &a {init: false}\nservices:\n  x:\n    <<: *a\n    image: i\n    build: {context: ./ctx}\n    x-note: hi\n',
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.services['x']!.buildContext).toBe(join(dir, 'ctx'));
    expect(r.value.services['x']!.init).toBe(false);
  });
});

describe('ports: published on 127.0.0.1 only, for servers lem starts (serve mode)', () => {
  it('short and long syntax; an empty host port lets Docker pick one', () => {
    const s = service(
      svc(
        '    ports:\n      - "127.0.0.1::8000"\n      - 127.0.0.1:18001:8001/tcp\n      - {target: 8002, host_ip: 127.0.0.1}\n',
      ),
    );
    expect(s.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: null, containerPort: 8000 },
      { hostIp: '127.0.0.1', hostPort: 18001, containerPort: 8001 },
      { hostIp: '127.0.0.1', hostPort: null, containerPort: 8002 },
    ]);
    const o = create(s);
    expect(o.ExposedPorts).toEqual({ '8000/tcp': {}, '8001/tcp': {}, '8002/tcp': {} });
    expect(o.HostConfig?.PortBindings).toEqual({
      '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '8001/tcp': [{ HostIp: '127.0.0.1', HostPort: '18001' }],
      '8002/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(create(service(svc(''))).HostConfig?.PortBindings).toBeUndefined();
  });

  it('refuses every other host address, UDP and malformed entries, at their line', () => {
    const text = svc(
      '    ports:\n      - "8000:8000"\n      - "0.0.0.0:8000:8000"\n      - "127.0.0.1:8000:8000/udp"\n' +
        '      - {target: 8000, host_ip: "::"}\n      - "127.0.0.1:x:8000"\n      - "127.0.0.1:1:70000"\n',
    );
    const p = problems(text);
    expect(p).toHaveLength(6);
    expect(p[0]).toMatch(
      /^compose\.yaml:5: services\.x\.ports\.0: port "8000:8000" must be "127\.0\.0\.1:HOST:CONTAINER"/,
    );
    expect(p[0]).toContain('127.0.0.1 only');
    expect(p[1]).toMatch(/^compose\.yaml:6: .*"0\.0\.0\.0:8000:8000" must be/);
    expect(p[2]).toMatch(/^compose\.yaml:7: .*TCP ports only/);
    expect(p[3]).toMatch(/^compose\.yaml:8: .*host_ip must be "127\.0\.0\.1"/);
    expect(p[4]).toMatch(/^compose\.yaml:9: .*host port must be a port number, got "x"/);
    expect(p[5]).toMatch(/^compose\.yaml:10: .*container port 70000 is outside 1-65535/);
  });
});

describe('compose.gpu.yaml merged on top, with compose override rules', () => {
  it('volumes and devices by container path, capabilities as a union, environment by name, the rest replaced', () => {
    const base = svc(
      '    command: [a]\n    volumes: ["./r:/app/results", "./c:/cache"]\n    devices: ["/dev/a"]\n' +
        '    cap_add: [SYS_NICE]\n    environment: ["A=1", "TOKEN"]\n    deploy: {resources: {limits: {pids: 5}}}\n',
    );
    const gpu =
      'services:\n  x:\n    command: [b]\n    volumes: ["./other:/cache", "./m:/models:ro"]\n    devices: ["/dev/b"]\n' +
      '    cap_add: [SYS_NICE, IPC_LOCK]\n    environment: {B: "2"}\n' +
      '    deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}\n';
    const s = service(base, { files: { 'compose.gpu.yaml': gpu }, gpu: true });
    expect(s.cmd).toEqual(['b']);
    expect(s.binds.map((b) => `${b.source.split('/').pop()}:${b.target}`)).toEqual([
      'r:/app/results',
      'other:/cache',
      'm:/models',
    ]);
    expect(s.devices.map((d) => d.host)).toEqual(['/dev/a', '/dev/b']);
    expect(s.capAdd).toEqual(['SYS_NICE', 'IPC_LOCK']);
    expect(s.env).toEqual({ A: '1', B: '2' });
    expect(s.secretNames).toEqual(['TOKEN']);
    expect(s.pidsLimit).toBe(5);
    expect(s.gpus).toHaveLength(1);
  });
});

describe('interpolation', () => {
  it('${VAR}, defaults and $$ reach the values; unquoted numbers keep their type', () => {
    const s = service(
      svc(
        '    environment: {A: "${V}", B: "${U:-d}", C: "$$lit"}\n    healthcheck:\n      test: [CMD, x]\n      retries: ${R:-3}\n',
      ),
      { env: { V: 'v' } },
    );
    expect(s.env).toEqual({ A: 'v', B: 'd', C: '$lit' });
    expect(s.healthcheck?.retries).toBe(3);
  });

  it('reads the project .env for interpolation, the environment passed in winning', () => {
    const s = service(svc('    environment: {A: "${FROM_FILE}", B: "${BOTH}"}\n'), {
      env: { BOTH: 'env' },
      files: { '.env': 'FROM_FILE=f\nBOTH=file\n' },
    });
    expect(s.env).toEqual({ A: 'f', B: 'env' });
  });

  it('reports an unset variable and ${VAR:?} at their lines', () => {
    expect(
      problems(svc('    environment:\n      A: ${NOPE}\n      B: "${REQ:?set REQ to the model folder}"\n')),
    ).toEqual([
      'compose.yaml:5: ${NOPE} is not set in the environment: set it, or give a default with ${NOPE:-value}',
      'compose.yaml:6: required variable REQ: set REQ to the model folder',
    ]);
  });

  it('never interpolates keys', () => {
    expect(service(svc('    environment: {"$$KEY": v}\n')).env).toEqual({ $$KEY: 'v' });
  });
});

describe('keys lem refuses, with file:line:key and what to do', () => {
  it('service keys', () => {
    expect(
      problems(
        svc(
          '    expose: ["8000"]\n    restart: always\n    container_name: mine\n    frobnicate: 1\n    x-lem-secret: [A]\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:4: services.x.expose: lem does not honour "expose": lem reaches a backend by docker exec, not over the network; remove it',
      'compose.yaml:5: services.x.restart: lem does not honour "restart": lem restarts a backend that dies during a campaign itself; remove it',
      'compose.yaml:6: services.x.container_name: lem does not honour "container_name": lem names containers lem-<project>-<backend> itself; remove it (LEM_PROJECT_NAME sets <project>)',
      'compose.yaml:7: services.x.frobnicate: lem does not honour the service key "frobnicate": remove it, or see docs/backends.md for the keys lem maps',
      'compose.yaml:8: services.x.x-lem-secret: unknown lem extension "x-lem-secret" (lem knows x-lem-secrets)',
    ]);
  });

  it('top-level keys', () => {
    expect(problems('name: p\nservices:\n  x: {image: i}\nnetworks: {n: {}}\nx-lem-anchors: 1\n')).toEqual([
      'compose.yaml:1: name: lem does not honour "name": lem names containers lem-<project>-<backend> itself; remove it (LEM_PROJECT_NAME sets <project>)',
      'compose.yaml:4: networks: lem does not honour "networks": lem reaches a backend by docker exec, not over the network; remove it',
    ]);
  });

  it('a key brought in by a YAML merge is reported at its line in the anchor', () => {
    expect(problems('x-common: &c\n  image: i\n  restart: always\nservices:\n  x:\n    <<: *c\n')).toEqual([
      'compose.yaml:3: services.x.restart: lem does not honour "restart": lem restarts a backend that dies during a campaign itself; remove it',
    ]);
  });

  it('unknown nested keys and bad values, in the file that defines them (compose.gpu.yaml merged on top)', () => {
    const gpu = 'services:\n  x:\n    deploy:\n      replicas: 2\n';
    expect(
      problems(svc('    healthcheck:\n      test: [CMD, x]\n      start_interval: 1s\n    command: sleep infinity\n'), {
        files: { 'compose.gpu.yaml': gpu },
        gpu: true,
      }),
    ).toEqual([
      'compose.yaml:6: services.x.healthcheck.start_interval: lem does not honour "start_interval" here; remove it',
      expect.stringMatching(/^compose\.yaml:7: services\.x\.command: write command as a list/),
      'compose.gpu.yaml:4: services.x.deploy.replicas: lem does not honour "replicas" here; remove it',
    ]);
  });

  it('malformed volumes, devices, sizes, capabilities and security options', () => {
    expect(
      problems(
        svc(
          '    volumes: [named:/data, "./a:/b:z"]\n    devices: [nvidia.com/gpu=all]\n    shm_size: lots\n    cap_add: ["not a cap"]\n    security_opt: ["no-new-privileges:false"]\n',
        ),
      ),
    ).toEqual([
      'compose.yaml:4: services.x.volumes.0: volume "named:/data" names a volume, not a host folder: lem uses bind mounts only',
      'compose.yaml:4: services.x.volumes.1: volume "./a:/b:z": lem knows the modes ro and rw, not z',
      expect.stringMatching(/^compose\.yaml:5: services\.x\.devices\.0: device "nvidia\.com\/gpu=all" must be/),
      'compose.yaml:6: services.x.shm_size: invalid size "lots" (expected e.g. 8gb, 512m)',
      'compose.yaml:7: services.x.cap_add.0: "not a cap" is not a capability name',
      'compose.yaml:8: services.x.security_opt.0: lem always sets no-new-privileges; remove this entry',
    ]);
  });

  it('env_file problems: a missing required file at the compose line, a bad line at the env file line', () => {
    expect(problems(svc('    env_file: gone.env\n'))).toEqual([
      expect.stringMatching(/^compose\.yaml:4: services\.x\.env_file: env_file .*gone\.env does not exist/),
    ]);
    expect(problems(svc('    env_file: bad.env\n'), { files: { 'bad.env': 'A=1\noops\n' } })).toEqual([
      'bad.env:2: expected KEY=VALUE, got "oops"',
    ]);
  });
});

describe('what a backend may never get', () => {
  it('the Docker socket, a writable harness or batches mount, privileged', () => {
    expect(problems(svc('    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n'))[0]).toMatch(
      /compose\.yaml:4: services\.x\.volumes: .*mounts the Docker socket/,
    );
    expect(problems(svc('    volumes: ["./h:/app/harness"]\n'))[0]).toMatch(
      /\/app\/harness writable; it must be read-only/,
    );
    expect(problems(svc('    volumes: ["./.state/batches:/app/batches"]\n'))[0]).toMatch(
      /\/app\/batches writable; it must be read-only/,
    );
    expect(problems(svc('    privileged: true\n'))[0]).toMatch(
      /compose\.yaml:4: services\.x\.privileged: lem never runs a backend privileged/,
    );
  });

  it("lem's own state: .state itself, its campaigns/ or daemon/, or a folder above them, even read-only", () => {
    for (const v of ['./.state:/app/.state', './.state/campaigns:/c:ro', './.state/daemon:/d', '.:/project:ro']) {
      expect(problems(svc(`    volumes: ["${v}"]\n`))[0]).toMatch(/which holds lem's own state/);
    }
    expect(problems(svc('    volumes: ["./.state/batches:/app/batches:ro", "./.state/cache:/app/cache"]\n'))).toEqual(
      [],
    );
  });

  it('YAML syntax errors carry the line', () => {
    const { r } = load('services:\n  x:\n    image: [unclosed\n');
    expect(!r.ok && r.error.code).toBe('LEM004');
    expect(!r.ok && r.error.issues?.[0]?.location?.line).toBeGreaterThan(0);
  });
});

describe('durations and sizes', () => {
  it('parses compose durations and sizes', () => {
    expect(parseDuration('1m30s', 0)).toBe(90e9);
    expect(parseDuration('500ms', 0)).toBe(5e8);
    expect(parseDuration(undefined, 30)).toBe(30e9);
    expect(() => parseDuration('soon', 0)).toThrow(/invalid duration/);
    expect(parseSize('8gb')).toBe(8 * 1024 ** 3);
    expect(parseSize('512m')).toBe(512 * 1024 ** 2);
    expect(() => parseSize('big')).toThrow(/invalid size/);
  });
});
