import { z } from 'zod';

/**
 * The shape of a service as lem accepts it, after interpolation and the merge of compose.gpu.yaml. Nested objects
 * are strict: an unknown key inside `healthcheck:` or `deploy:` is refused like an unknown service key. Which
 * service keys exist at all is checked first (keys.ts), with a hint per key.
 */
const Scalar = z.union([z.string(), z.number()]);
const asList = (what: string) =>
  z.array(z.string(), { error: `write ${what} as a list, e.g. ["sleep", "infinity"] (lem does not split a string)` });
const EnvMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const KeyValues = z.union([EnvMap, z.array(z.string())]);

const BindVolume = z.strictObject({
  type: z.literal('bind', { error: 'lem uses bind mounts only: type must be "bind"' }),
  source: z.string(),
  target: z.string(),
  read_only: z.boolean().default(false),
});

const EnvFile = z.union([z.string(), z.strictObject({ path: z.string(), required: z.boolean().default(true) })]);

const GpuRequest = z.strictObject({
  driver: z.string().optional(),
  count: z.union([z.literal('all'), z.int()]).optional(),
  device_ids: z.array(z.string()).optional(),
  capabilities: z.array(z.string()).default(['gpu']),
  options: z.record(z.string(), z.string()).optional(),
});

const PortLong = z.strictObject({
  target: z.union([z.int(), z.string()]),
  published: z.union([z.int(), z.string()]).optional(),
  host_ip: z.string().optional(),
  protocol: z.literal('tcp', { error: 'lem publishes TCP ports only' }).optional(),
});

const Ulimit = z.union([z.int(), z.strictObject({ soft: z.int(), hard: z.int() })]);

export const ServiceSchema = z.strictObject({
  image: z.string({ error: 'every service needs an image (lem never builds or pulls one)' }),
  build: z.union([z.string(), z.looseObject({ context: z.string().optional() })]).optional(),
  init: z.boolean().default(true),
  command: asList('command').optional(),
  entrypoint: asList('entrypoint').optional(),
  working_dir: z.string().optional(),
  user: z.string().optional(),
  group_add: z.array(Scalar).default([]),
  volumes: z.array(z.union([z.string(), BindVolume])).default([]),
  tmpfs: z.union([z.string(), z.array(z.string())]).optional(),
  read_only: z.boolean().default(false),
  environment: KeyValues.default({}),
  env_file: z.union([EnvFile, z.array(EnvFile)]).optional(),
  'x-lem-secrets': z.array(z.string()).default([]),
  labels: KeyValues.default({}),
  shm_size: Scalar.optional(),
  ipc: z.string().optional(),
  privileged: z.literal(false, { error: 'lem never runs a backend privileged: remove "privileged: true"' }).optional(),
  healthcheck: z
    .strictObject({
      test: z.union([z.array(z.string()), z.string()]).optional(),
      interval: Scalar.optional(),
      timeout: Scalar.optional(),
      retries: z.int().optional(),
      start_period: Scalar.optional(),
      disable: z.boolean().optional(),
    })
    .optional(),
  deploy: z
    .strictObject({
      resources: z
        .strictObject({
          limits: z
            .strictObject({ cpus: Scalar.optional(), memory: Scalar.optional(), pids: z.int().optional() })
            .optional(),
          reservations: z.strictObject({ devices: z.array(GpuRequest).optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
  gpus: z.union([z.literal('all'), z.array(GpuRequest)]).optional(),
  devices: z.array(z.string()).default([]),
  runtime: z.string().optional(),
  cap_add: z.array(z.string()).default([]),
  cap_drop: z.array(z.string()).default([]),
  security_opt: z.array(z.string()).default([]),
  mem_limit: Scalar.optional(),
  memswap_limit: Scalar.optional(),
  pids_limit: z.int().optional(),
  cpus: Scalar.optional(),
  ulimits: z.record(z.string(), Ulimit).default({}),
  stop_signal: z.string().optional(),
  ports: z.array(z.union([z.string(), PortLong])).default([]),
});

export type ServiceInput = z.infer<typeof ServiceSchema>;
export type GpuRequestInput = z.infer<typeof GpuRequest>;
export type EnvFileInput = z.infer<typeof EnvFile>;
