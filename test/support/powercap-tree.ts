import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A directory laid out as the kernel's powercap sysfs (intel-rapl:N[:M]/{name,energy_uj,max_energy_range_uj}),
 * whose counters advance at fixed watts of real time while it runs: what a host's RAPL looks like to lem.
 */
export function advancingPowercap(
  root: string,
  zones: readonly { id: string; name: string; watts: number }[],
  maxRangeUj = 262_143_328_850,
): { stop: () => void } {
  const start = Date.now() / 1000;
  const write = () => {
    const t = Date.now() / 1000 - start;
    // Written aside and renamed in: a sysfs read is never torn, and a torn read here would look like a wrap.
    for (const z of zones) {
      const file = join(root, z.id, 'energy_uj');
      writeFileSync(`${file}.tmp`, `${Math.round(z.watts * t * 1e6) % maxRangeUj}\n`);
      renameSync(`${file}.tmp`, file);
    }
  };
  for (const z of zones) {
    mkdirSync(join(root, z.id), { recursive: true });
    writeFileSync(join(root, z.id, 'name'), `${z.name}\n`);
    writeFileSync(join(root, z.id, 'max_energy_range_uj'), `${maxRangeUj}\n`);
  }
  write();
  const timer = setInterval(write, 5);
  return { stop: () => clearInterval(timer) };
}

/** A lab meter's CSV log (timestamp,watts) that gains a row every `everyMs` while it runs, as a logger would. */
export function growingCsvLog(path: string, watts: number, everyMs = 50): { stop: () => void } {
  writeFileSync(path, 'timestamp,watts\n');
  const timer = setInterval(() => appendFileSync(path, `${(Date.now() / 1000).toFixed(3)},${watts}\n`), everyMs);
  return { stop: () => clearInterval(timer) };
}
