import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LEM_BIN } from '../support/lem-project.js';

// The built CLI as a process (npm test builds first).
const lem = (args: string[]) =>
  spawnSync(process.execPath, [LEM_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: undefined },
  });

describe('lem --help', () => {
  it('lists every command, in plain text when piped', () => {
    const out = execFileSync(process.execPath, [LEM_BIN, '--help'], { encoding: 'utf8' });
    expect(out).not.toMatch(/\u001b\[/);
    for (const cmd of [
      'config validate',
      'campaign plan',
      'campaign run',
      'campaign resume',
      'campaign status',
      'campaign list',
      'backends up',
      'backends down',
      'backends status',
      'doctor',
      'results aggregate',
      'results report',
      'results compare',
      'daemon',
      'daemon status',
    ]) {
      expect(out).toContain(`lem ${cmd}`);
    }
  });

  it.each([
    'campaign run',
    'campaign resume',
    'campaign plan',
    'config validate',
    'backends up',
    'results aggregate',
    'results report',
    'results compare',
    'daemon',
    'doctor',
  ])('lem %s --help explains every option', (cmd) => {
    const r = lem([...cmd.split(' '), '--help']);
    expect(r.status).toBe(0);
    const options = r.stdout.split('\nOptions\n')[1]!.split(/\n(Details|Examples)\n/)[0]!;
    const lines = options.split('\n').filter((l) => /^\s+--/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines)
      expect(l.trim().split(/\s{2,}/).length, `option without a description: ${l}`).toBeGreaterThanOrEqual(2);
  });

  it('an unknown command is a usage error (exit 2)', () => {
    const r = lem(['no-such-command']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Command not found/);
  });

  const EVERY = [
    'campaign run',
    'campaign resume',
    'campaign plan',
    'campaign status',
    'campaign list',
    'config validate',
    'backends up',
    'backends down',
    'backends status',
    'results aggregate',
    'results report',
    'results compare',
    'daemon',
    'daemon status',
    'doctor',
  ];

  it.each(EVERY)('lem %s --help names what each option takes (no clipanion "#0")', (cmd) => {
    const r = lem([...cmd.split(' '), '--help']);
    expect(r.stdout).not.toMatch(/#\d/);
  });

  it('a usage error names option values too', () => {
    const r = lem(['results', 'report', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[--campaign <id>]');
    expect(r.stderr).not.toMatch(/#\d/);
  });

  it('examples use experiment ids of the form the planner makes', async () => {
    const { experimentId } = await import('../../src/campaign/planner.js');
    const id = experimentId(3, 1, 'synthetic', '3fa2b9c1d4e5');
    const out = lem(['results', 'report', '--help']).stdout;
    expect(out).toContain(`--experiment ${id}`);
    expect(out).not.toMatch(/c\d\d-e\d{4}/);
  });
});
