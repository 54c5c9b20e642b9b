import { isAbsolute, resolve } from 'node:path';
import type { BindMount, DeviceMapping } from './definition.js';
import type { ServiceInput } from './schema.js';

/** Bind mounts, short (`HOST:CONTAINER[:ro|rw]`) or long (`{type: bind, source, target, read_only}`) syntax. */
export function parseVolume(spec: ServiceInput['volumes'][number], dir: string): BindMount {
  if (typeof spec !== 'string')
    return { source: absolute(spec.source, dir), target: spec.target, readOnly: spec.read_only };
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new Error(`volume "${spec}" must be HOST:CONTAINER[:ro] (lem uses bind mounts only)`);
  }
  const [src, target, mode] = parts as [string, string, string | undefined];
  if (!/^[./~]/.test(src))
    throw new Error(`volume "${spec}" names a volume, not a host folder: lem uses bind mounts only`);
  const flags = mode?.split(',') ?? [];
  const unknown = flags.filter((f) => f !== 'ro' && f !== 'rw');
  if (unknown.length > 0) throw new Error(`volume "${spec}": lem knows the modes ro and rw, not ${unknown.join(', ')}`);
  return { source: absolute(src, dir), target, readOnly: flags.includes('ro') };
}

function absolute(src: string, dir: string): string {
  if (src.startsWith('~')) throw new Error(`volume source "${src}": write the absolute path (lem does not expand ~)`);
  return isAbsolute(src) ? src : resolve(dir, src);
}

/** `devices:` entries `HOST[:CONTAINER[:PERMISSIONS]]`, as `docker run --device`. */
export function parseDevice(spec: string): DeviceMapping {
  const [host, container, permissions, ...rest] = spec.split(':');
  if (!host?.startsWith('/') || rest.length > 0 || (container !== undefined && !container.startsWith('/'))) {
    throw new Error(
      `device "${spec}" must be /dev/HOST[:/dev/CONTAINER[:rwm]] ` +
        '(for GPUs use gpus: or deploy.resources.reservations.devices)',
    );
  }
  if (permissions !== undefined && !/^[rwm]+$/.test(permissions)) {
    throw new Error(`device "${spec}": permissions must be letters of rwm`);
  }
  return { host, container: container ?? host, permissions: permissions ?? 'rwm' };
}

/** `tmpfs: /path[:options]` (string or list) as Docker's Tmpfs map. */
export function parseTmpfs(spec: ServiceInput['tmpfs']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of spec === undefined ? [] : typeof spec === 'string' ? [spec] : spec) {
    const i = entry.indexOf(':');
    const path = i < 0 ? entry : entry.slice(0, i);
    if (!path.startsWith('/')) throw new Error(`tmpfs "${entry}" must be an absolute container path`);
    out[path] = i < 0 ? '' : entry.slice(i + 1);
  }
  return out;
}
