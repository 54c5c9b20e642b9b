/**
 * Which compose keys lem honours and, for the others, what the user should do instead. lem reads compose.yaml
 * itself, so a key it does not act on must be refused out loud: a backend silently started without the
 * `devices:` or the cache folder the user wrote measures something else than they meant.
 */

/** Top-level keys lem acts on. `version` is obsolete in compose too and changes nothing. */
const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['services', 'version']);

/** Service keys lem maps onto the container it creates (see docs/backends.md for each one). */
const SERVICE_KEYS: ReadonlySet<string> = new Set([
  'image',
  'build',
  'init',
  'command',
  'entrypoint',
  'working_dir',
  'user',
  'group_add',
  'volumes',
  'tmpfs',
  'read_only',
  'environment',
  'env_file',
  'x-lem-secrets',
  'labels',
  'shm_size',
  'ipc',
  'privileged',
  'healthcheck',
  'deploy',
  'gpus',
  'devices',
  'runtime',
  'cap_add',
  'cap_drop',
  'security_opt',
  'mem_limit',
  'memswap_limit',
  'pids_limit',
  'cpus',
  'ulimits',
  'stop_signal',
  'ports',
]);

const BY_EXEC = 'lem reaches a backend by docker exec, not over the network; remove it';
const WHOLE_FILE =
  'lem reads only services from compose.yaml; remove it, or run that part with docker compose yourself';

const TOP_LEVEL_HINTS: Readonly<Record<string, string>> = {
  name: 'lem names containers lem-<project>-<backend> itself; remove it (LEM_PROJECT_NAME sets <project>)',
  networks: BY_EXEC,
  volumes: 'lem uses bind mounts only (HOST:CONTAINER[:ro] under a service); remove the named volumes',
  secrets: 'pass secrets by name with x-lem-secrets: [NAME] under the service; remove it',
  configs: 'bind-mount the file read-only under volumes: instead',
  include: 'lem reads compose.yaml and compose.gpu.yaml only; copy the services in',
};

const SERVICE_HINTS: Readonly<Record<string, string>> = {
  container_name: 'lem names containers lem-<project>-<backend> itself; remove it (LEM_PROJECT_NAME sets <project>)',
  restart: 'lem restarts a backend that dies during a campaign itself; remove it',
  depends_on: 'lem starts only the backends a campaign needs, each on its own; remove it',
  links: BY_EXEC,
  external_links: BY_EXEC,
  networks: BY_EXEC,
  network_mode: BY_EXEC,
  expose: BY_EXEC,
  hostname: BY_EXEC,
  dns: BY_EXEC,
  extra_hosts: BY_EXEC,
  extends: 'copy the keys into the service, or share them with a YAML anchor (x-name: &anchor, then <<: *anchor)',
  profiles: 'lem starts the backends a campaign names; remove it',
  scale: 'lem runs one container per backend; remove it',
  volumes_from: 'list the bind mounts under volumes: instead',
  secrets: 'pass secrets by name with x-lem-secrets: [NAME]; remove it',
  configs: 'bind-mount the file read-only under volumes: instead',
  pull_policy: 'lem never pulls images: build them first (see README); remove it',
  platform: 'build the image for this machine instead; remove it',
  tty: 'lem needs separate stdout and stderr from its execs, which a TTY merges; remove it',
  stdin_open: 'work arrives by docker exec; remove it',
  logging: 'lem reads the container log with docker logs; remove it',
  pid: 'a backend keeps its own process namespace; remove it',
  userns_mode: 'remove it; use user: to run as another user',
  stop_grace_period: 'lem stops a backend itself (about 2 s for a restart); remove it',
  sysctls: 'remove it; lem does not change kernel parameters for a backend',
};

/** A refused key: why, and what to do. */
export function refusal(scope: 'top' | 'service', key: string): string {
  const hint = (scope === 'top' ? TOP_LEVEL_HINTS : SERVICE_HINTS)[key];
  if (hint) return `lem does not honour "${key}": ${hint}`;
  if (scope === 'service' && key.startsWith('x-lem-'))
    return `unknown lem extension "${key}" (lem knows x-lem-secrets)`;
  return scope === 'top'
    ? `lem does not honour the top-level key "${key}": ${WHOLE_FILE}`
    : `lem does not honour the service key "${key}": remove it, or see docs/backends.md for the keys lem maps`;
}

/**
 * True when lem acts on the key or the key is a compose extension (`x-…`, which compose and lem both leave to YAML
 * anchors). Under a service, lem's own `x-lem-…` names must be known ones: a typo there must not pass silently.
 */
export function isHonoured(scope: 'top' | 'service', key: string): boolean {
  if (scope === 'service' && key.startsWith('x-lem-')) return SERVICE_KEYS.has(key);
  if (key.startsWith('x-')) return true;
  return (scope === 'top' ? TOP_LEVEL_KEYS : SERVICE_KEYS).has(key);
}
