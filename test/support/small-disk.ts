import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounting needs root (CI runs as root); elsewhere the tests that need a real full disk cannot run. */
export const canMount = process.getuid?.() === 0;

/** A real, small tmpfs: writes past `size` fail with ENOSPC, as on a full disk. */
export function mountSmallDisk(
  size: string,
  at?: string,
): { dir: string; unmount: () => void; resize: (s: string) => void } {
  const dir = at ?? mkdtempSync(join(tmpdir(), 'lem-small-disk-'));
  const run = (args: string[]) => {
    const r = spawnSync('mount', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount ${args.join(' ')}: ${r.stderr}`);
  };
  run(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return {
    dir,
    resize: (s) => run(['-o', `remount,size=${s}`, dir]),
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      if (!at) rmSync(dir, { recursive: true, force: true });
    },
  };
}
