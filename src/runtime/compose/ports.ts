import type { PublishedPort } from './definition.js';
import type { ServiceInput } from './schema.js';

/** The only host address lem publishes on: a server a backend runs is for lem's load generator, not the network. */
export const LOOPBACK = '127.0.0.1';

const LOOPBACK_ONLY =
  `lem publishes a backend's ports on ${LOOPBACK} only (a server under measurement must not be reachable from ` +
  'the network)';

function portNumber(text: string, what: string, spec: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`port "${spec}": the ${what} must be a port number, got "${text}"`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`port "${spec}": the ${what} ${n} is outside 1-65535`);
  return n;
}

/**
 * `ports:` entries, short syntax `127.0.0.1:HOST:CONTAINER[/tcp]` (HOST may be empty: Docker picks a free port,
 * which lem reads back from the container) or long syntax `{target, published, host_ip, protocol}`. Every entry
 * must name the host address 127.0.0.1: a port without it would be published on every interface.
 */
export function parsePort(spec: ServiceInput['ports'][number]): PublishedPort {
  if (typeof spec !== 'string') {
    const text = JSON.stringify(spec);
    if (spec.host_ip !== LOOPBACK) throw new Error(`port ${text}: host_ip must be "${LOOPBACK}": ${LOOPBACK_ONLY}`);
    const published = spec.published === undefined ? null : portNumber(String(spec.published), 'host port', text);
    return { hostIp: LOOPBACK, hostPort: published, containerPort: portNumber(String(spec.target), 'target', text) };
  }
  const [body, protocol, ...more] = spec.split('/');
  if (more.length > 0 || (protocol !== undefined && protocol !== 'tcp')) {
    throw new Error(`port "${spec}": lem publishes TCP ports only (HTTP servers)`);
  }
  const parts = (body ?? '').split(':');
  if (parts.length !== 3 || parts[0] !== LOOPBACK) {
    throw new Error(`port "${spec}" must be "${LOOPBACK}:HOST:CONTAINER" (HOST may be empty): ${LOOPBACK_ONLY}`);
  }
  const [, host, container] = parts as [string, string, string];
  return {
    hostIp: LOOPBACK,
    hostPort: host === '' ? null : portNumber(host, 'host port', spec),
    containerPort: portNumber(container, 'container port', spec),
  };
}

/** The dockerode shape: ExposedPorts on the container, PortBindings on its host config. */
export function portBindings(ports: readonly PublishedPort[]): {
  exposed: Record<string, object>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ports) {
    const key = `${p.containerPort}/tcp`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort === null ? '' : String(p.hostPort) });
  }
  return { exposed, bindings };
}
