import type Docker from 'dockerode';
import type { ServiceDefinition } from './definition.js';
import type { Variables } from './interpolate.js';
import { portBindings } from './ports.js';

export interface CreateContext {
  readonly containerName: string;
  /** lem's labels (project, service, definition hash); they win over the service's own labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** The user's environment, for the secrets passed by name; their values go only into the container. */
  readonly env: Variables;
}

/** The dockerode create options for a service: every key lem honours lands here (pure, so it is unit-tested). */
export function containerCreateOptions(d: ServiceDefinition, ctx: CreateContext): Docker.ContainerCreateOptions {
  // The harness records which image it ran in (environment metadata); it cannot see that itself.
  const env = [...Object.entries(d.env).map(([k, v]) => `${k}=${v}`), `LEM_CONTAINER_IMAGE=${d.image}`];
  for (const name of d.secretNames) {
    const value = ctx.env[name];
    if (value !== undefined) env.push(`${name}=${value}`);
  }
  return {
    name: ctx.containerName,
    Image: d.image,
    Cmd: d.cmd ? [...d.cmd] : undefined,
    Entrypoint: d.entrypoint ? [...d.entrypoint] : undefined,
    WorkingDir: d.workingDir,
    User: d.user,
    Env: env,
    Labels: { ...d.labels, ...ctx.labels },
    StopSignal: d.stopSignal,
    ExposedPorts: d.ports.length > 0 ? portBindings(d.ports).exposed : undefined,
    Healthcheck: d.healthcheck && {
      Test: [...d.healthcheck.test],
      Interval: d.healthcheck.intervalNs,
      Timeout: d.healthcheck.timeoutNs,
      Retries: d.healthcheck.retries,
      StartPeriod: d.healthcheck.startPeriodNs,
    },
    HostConfig: hostConfig(d),
  };
}

function hostConfig(d: ServiceDefinition): Docker.HostConfig {
  return {
    PortBindings: d.ports.length > 0 ? portBindings(d.ports).bindings : undefined,
    Binds: d.binds.map((b) => `${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`),
    Tmpfs: Object.keys(d.tmpfs).length > 0 ? { ...d.tmpfs } : undefined,
    ReadonlyRootfs: d.readOnlyRootfs,
    Init: d.init,
    // Never privileged, never the Docker socket (checked when compose.yaml is loaded), never a privilege gain.
    Privileged: false,
    SecurityOpt: [...new Set(['no-new-privileges', ...d.securityOpt])],
    CapAdd: d.capAdd.length > 0 ? [...d.capAdd] : undefined,
    CapDrop: d.capDrop.length > 0 ? [...d.capDrop] : undefined,
    GroupAdd: d.groupAdd.length > 0 ? [...d.groupAdd] : undefined,
    ShmSize: d.shmSizeBytes,
    IpcMode: d.ipcMode,
    Runtime: d.runtime,
    Memory: d.memoryBytes,
    MemorySwap: d.memorySwapBytes,
    PidsLimit: d.pidsLimit,
    NanoCpus: d.nanoCpus,
    Ulimits: d.ulimits.length > 0 ? d.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) : undefined,
    Devices: d.devices.map((v) => ({
      PathOnHost: v.host,
      PathInContainer: v.container,
      CgroupPermissions: v.permissions,
    })),
    DeviceRequests: d.gpus.map((g) => ({
      Driver: g.driver,
      Count: g.deviceIds.length > 0 ? 0 : g.count,
      DeviceIDs: g.deviceIds.length > 0 ? [...g.deviceIds] : undefined,
      Capabilities: [[...g.capabilities]],
      Options: Object.keys(g.options).length > 0 ? { ...g.options } : undefined,
    })),
  };
}
