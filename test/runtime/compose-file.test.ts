import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostPathFor, loadComposeProject, parseDuration, parseSize } from '../../src/runtime/compose-file.js';

const REPO = join(import.meta.dirname, '..', '..');

function project(compose: string, gpu?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lem-compose-'));
  writeFileSync(join(dir, 'compose.yaml'), compose);
  if (gpu) writeFileSync(join(dir, 'compose.gpu.yaml'), gpu);
  return dir;
}

describe('loadComposeProject', () => {
  it("reads the repository's compose.yaml: every backend, anchors merged, paths absolute, harness read-only", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lem-compose-'));
    copyFileSync(join(REPO, 'compose.yaml'), join(dir, 'compose.yaml'));
    copyFileSync(join(REPO, 'compose.gpu.yaml'), join(dir, 'compose.gpu.yaml'));
    const r = loadComposeProject(dir, { withGpu: false });
    if (!r.ok) throw new Error(r.error.message);
    const s = r.value.services;
    expect(Object.keys(s).sort()).toEqual(['synthetic', 'tensorrt', 'transformers', 'vllm']);
    expect(s['synthetic']!.init).toBe(true);
    expect(s['synthetic']!.gpus).toEqual([]);
    expect(hostPathFor(s['vllm']!, '/app/results')).toBe(join(dir, 'results'));
    expect(s['vllm']!.binds.find((b) => b.target === '/app/harness')!.readOnly).toBe(true);
    expect(s['vllm']!.secretNames).toEqual(['HF_TOKEN']);
    expect(s['vllm']!.env['HF_TOKEN']).toBeUndefined();
    expect(s['synthetic']!.healthcheck!.intervalNs).toBe(2e9);

    const gpu = loadComposeProject(dir, { withGpu: true });
    if (!gpu.ok) throw new Error(gpu.error.message);
    expect(gpu.value.services['vllm']!.gpus).toEqual([{ driver: 'nvidia', count: -1, deviceIds: [], capabilities: ['gpu'] }]);
    expect(gpu.value.services['synthetic']!.gpus).toEqual([]);
  });

  it('refuses the Docker socket, a writable harness mount and privileged services', () => {
    const sock = loadComposeProject(project('services:\n  x:\n    image: i\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n'), { withGpu: false });
    expect(!sock.ok && sock.error.message).toMatch(/mounts the Docker socket/);
    const rw = loadComposeProject(project('services:\n  x:\n    image: i\n    volumes: ["./h:/app/harness"]\n'), { withGpu: false });
    expect(!rw.ok && rw.error.message).toMatch(/must be read-only/);
    const priv = loadComposeProject(project('services:\n  x:\n    image: i\n    privileged: true\n'), { withGpu: false });
    expect(!priv.ok && priv.error.issues?.[0]?.message).toMatch(/never runs a backend privileged/);
  });

  it('reports YAML syntax errors with the line', () => {
    const r = loadComposeProject(project('services:\n  x:\n    image: [unclosed\n'), { withGpu: false });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LEM004');
      expect(r.error.message).toMatch(/compose\.yaml:\d+:/);
    }
  });

  it('passes list-form environment names through as secrets, never as values', () => {
    const r = loadComposeProject(project('services:\n  x:\n    image: i\n    environment: ["A=1", "HF_TOKEN"]\n'), { withGpu: false });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.services['x']!.env).toEqual({ A: '1' });
    expect(r.value.services['x']!.secretNames).toEqual(['HF_TOKEN']);
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
