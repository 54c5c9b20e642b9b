import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentConfig } from '../../src/config/experiment.js';
import {
  loadCampaign,
  loadConfigFile,
  loadExperimentFile,
  locateCampaignPath,
  type LoadedCampaign,
} from '../../src/config/load.js';

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lem-load-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function loaded(file: string): LoadedCampaign {
  const r = loadCampaign(file);
  if (!r.ok) throw new Error(JSON.stringify(r.error, null, 2));
  return r.value;
}

describe('example files', () => {
  it.each(['configs/transformers.yaml', 'configs/vllm.yaml', 'configs/tensorrt.yaml', 'configs/synthetic.yaml'])(
    '%s is a valid experiment',
    (file) => {
      const r = loadExperimentFile(file);
      expect(r.ok).toBe(true);
    },
  );

  it("the seed's full-backend sweep gives 2 backends x 3 batch sizes = 6 experiments, routed by backend", () => {
    const c = loaded('campaigns/full-backend-sweep.yaml');
    expect(c.mode).toBe('grid');
    expect(c.experiments.map((e) => [e.backend, e.config.batching.batch_size])).toEqual([
      ['transformers', 1],
      ['transformers', 4],
      ['transformers', 8],
      ['vllm', 1],
      ['vllm', 4],
      ['vllm', 8],
    ]);
    expect(c.experiments[0]!.varied).toEqual({ backend: 'transformers', 'batching.batch_size': 1 });
    // Each experiment carries only its own backend's section, with that engine's defaults filled in.
    for (const e of c.experiments) {
      expect(e.backend === 'external' ? undefined : e.config[e.backend]).toBeDefined();
      for (const other of ['transformers', 'vllm', 'tensorrt', 'synthetic'] as const)
        if (other !== e.backend) expect(e.config[other]).toBeUndefined();
    }
  });

  it('the cross-backend campaign (mode 1) resolves its files against its own directory', () => {
    const c = loaded('campaigns/cross-backend.yaml');
    expect(c.mode).toBe('configs');
    expect(c.experiments.map((e) => e.backend)).toEqual(['transformers', 'vllm', 'tensorrt']);
    expect(c.experiments[0]!.source).toBe(resolve('configs/transformers.yaml'));
    expect(c.settings).toMatchObject({ cycles: 3, structure: 'shuffled', seed: 42, thermal_gap_s: 30, retries: 1 });
  });

  it('the demo campaign uses only the synthetic backend and is quick', () => {
    const c = loaded('campaigns/demo.yaml');
    expect(new Set(c.experiments.map((e) => e.backend))).toEqual(new Set(['synthetic']));
    expect(c.settings.cycles).toBe(2);
    for (const e of c.experiments) expect(e.config.measurement.idle_baseline_s).toBeLessThanOrEqual(1);
  });
});

describe('campaign defaults and settings', () => {
  it('fills defaults: 1 cycle, interleaved, seed 0, no thermal gap, 1 retry, 1 h experiment timeout, serial placement', () => {
    const dir = tempDir({
      'c.yaml':
        'campaign_name: d\nbase_config: {backend: synthetic, model: {name: m}}\nvary: {max_output_tokens: [1, 2]}\n',
    });
    const c = loaded(join(dir, 'c.yaml'));
    expect(c.settings).toEqual({
      campaign_name: 'd',
      cycles: 1,
      structure: 'interleaved',
      seed: 0,
      thermal_gap_s: 0,
      retries: 1,
      experiment_timeout_s: 3600,
      placement: 'serial',
      isolate_baseline: false,
      executor: 'local',
    });
  });

  it('normalises schedule.cron to a list and keeps source positions for the daemon', () => {
    const text = [
      'campaign_name: s',
      'base_config: {backend: synthetic, model: {name: m}}',
      'vary: {max_output_tokens: [1]}',
      'schedule:',
      '  cron:',
      '    - "0 3 * * *"',
      '    - "0 15 * * *"',
      '  timezone: Europe/London',
      '',
    ].join('\n');
    const dir = tempDir({
      'c.yaml': text,
      'single.yaml': text.replace('  cron:\n    - "0 3 * * *"\n    - "0 15 * * *"', '  cron: "*/5 * * * *"'),
    });
    const c = loaded(join(dir, 'c.yaml'));
    expect(c.settings.schedule).toEqual({
      cron: ['0 3 * * *', '0 15 * * *'],
      timezone: 'Europe/London',
      overlap: 'skip',
    });
    expect(locateCampaignPath(c, ['schedule', 'cron', 1])).toEqual({ file: join(dir, 'c.yaml'), line: 7, column: 7 });
    expect(locateCampaignPath(c, ['schedule', 'timezone'])).toMatchObject({ line: 8, column: 3 });
    // A single expression: index 0 falls back to the scalar itself.
    const single = loaded(join(dir, 'single.yaml'));
    expect(single.settings.schedule?.cron).toEqual(['*/5 * * * *']);
    expect(locateCampaignPath(single, ['schedule', 'cron', 0])).toMatchObject({ line: 5, column: 3 });
  });

  it("the campaign's force_cold_start overrides every experiment's", () => {
    const dir = tempDir({
      'c.yaml':
        'campaign_name: d\nforce_cold_start: true\nbase_config: {backend: synthetic, model: {name: m}, force_cold_start: false}\nvary: {max_output_tokens: [1, 2]}\n',
    });
    expect(loaded(join(dir, 'c.yaml')).experiments.every((e) => e.config.force_cold_start)).toBe(true);
  });
});

describe('grid spelling and routing', () => {
  const base = 'campaign_name: g\nbase_config:\n  model: {name: m}\n';

  it('dotted keys and nested maps are the same grid', () => {
    const dir = tempDir({
      'dotted.yaml': `${base}vary:\n  backend: [pytorch, vllm]\n  batching.batch_size: [1, 4]\n  vllm.max_num_seqs: [8, 16]\n`,
      'nested.yaml': `${base}vary:\n  backend: [pytorch, vllm]\n  batching:\n    batch_size: [1, 4]\n  vllm:\n    max_num_seqs: [8, 16]\n`,
    });
    const a = loaded(join(dir, 'dotted.yaml')).experiments;
    const b = loaded(join(dir, 'nested.yaml')).experiments;
    expect(a.map((e) => e.config_hash)).toEqual(b.map((e) => e.config_hash));
    // transformers: 2 batch sizes; vllm: 2 batch sizes x 2 max_num_seqs. Backend first, last key fastest.
    expect(a.map((e) => [e.backend, e.config.batching.batch_size, e.config.vllm?.max_num_seqs ?? null])).toEqual([
      ['transformers', 1, null],
      ['transformers', 4, null],
      ['vllm', 1, 8],
      ['vllm', 1, 16],
      ['vllm', 4, 8],
      ['vllm', 4, 16],
    ]);
    expect(a[2]!.varied).toEqual({ backend: 'vllm', 'batching.batch_size': 1, 'vllm.max_num_seqs': 8 });
    expect(a[0]!.varied).toEqual({ backend: 'transformers', 'batching.batch_size': 1 });
  });

  it("base_config sections apply to their own backend's experiments only", () => {
    const dir = tempDir({
      'c.yaml': `${base}  transformers: {torch_compile: true}\n  vllm: {enforce_eager: true}\nvary:\n  backend: [transformers, vllm]\n`,
    });
    const [t, v] = loaded(join(dir, 'c.yaml')).experiments;
    expect(t!.config.transformers?.torch_compile).toBe(true);
    expect(t!.config.vllm).toBeUndefined();
    expect(v!.config.vllm?.enforce_eager).toBe(true);
    expect(v!.config.transformers).toBeUndefined();
  });

  it('a list of mappings varies a block, merged over base_config', () => {
    const dir = tempDir({
      'c.yaml': `campaign_name: g\nbase_config:\n  backend: vllm\n  model: {name: m, fp_precision: fp16}\nvary:\n  model: [{name: a}, {name: b, fp_precision: bf16}]\n`,
    });
    const e = loaded(join(dir, 'c.yaml')).experiments;
    expect(e.map((x) => x.config.model)).toEqual([
      { name: 'a', fp_precision: 'fp16' },
      { name: 'b', fp_precision: 'bf16' },
    ]);
  });

  it('duplicate resolved configs are kept, with a warning', () => {
    const dir = tempDir({
      'c.yaml': `campaign_name: g\nbase_config: {backend: vllm, model: {name: m}}\nvary:\n  decoder.temperature: [0, 0.0, 1]\n`,
    });
    const c = loaded(join(dir, 'c.yaml'));
    expect(c.experiments).toHaveLength(3);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]!.message).toMatch(/#0 .* and #1 .* resolve to the same config/);
    expect(c.warnings[0]!.location?.line).toBe(3);
  });

  it('mode 1 listing a file twice warns too', () => {
    const dir = tempDir({
      'e.yaml': 'backend: vllm\nmodel: {name: m}\n',
      'c.yaml': 'campaign_name: g\nconfigs: [e.yaml, e.yaml]\n',
    });
    const c = loaded(join(dir, 'c.yaml'));
    expect(c.experiments).toHaveLength(2);
    expect(c.warnings[0]).toMatchObject({ path: 'configs[1]', location: { line: 2 } });
  });
});

describe('relative paths', () => {
  it('prompts.file resolves against the file that wrote it, from any working directory', () => {
    const dir = tempDir({
      'prompts/p.jsonl': '{"prompt": "hi"}\n',
      'exp/e.yaml': 'backend: vllm\nmodel: {name: m}\nprompts: {source: file, file: ../prompts/p.jsonl}\n',
      'c.yaml': 'campaign_name: g\nconfigs: [exp/e.yaml]\n',
      'grid.yaml':
        'campaign_name: g\nbase_config:\n  backend: vllm\n  model: {name: m}\n  prompts: {source: file, file: prompts/p.jsonl}\nvary: {max_output_tokens: [1]}\n',
    });
    const want = join(dir, 'prompts/p.jsonl');
    expect(loaded(join(dir, 'c.yaml')).experiments[0]!.config.prompts.file).toBe(want);
    expect(loaded(join(dir, 'grid.yaml')).experiments[0]!.config.prompts.file).toBe(want);
    const e = loadExperimentFile(join(dir, 'exp/e.yaml'));
    expect(e.ok && e.value.config.prompts.file).toBe(want);
  });
});

describe('file kinds and YAML features', () => {
  it('tells campaigns from experiments by content', () => {
    const c = loadConfigFile('campaigns/demo.yaml');
    const e = loadConfigFile('configs/vllm.yaml');
    expect(c.ok && c.value.kind).toBe('campaign');
    expect(e.ok && e.value.kind).toBe('experiment');
  });

  it('supports anchors and merge keys, and locates problems through them', () => {
    const dir = tempDir({ 'e.yaml': 'common: &c\n  name: m\n  fp_precision: fp8\nbackend: vllm\nmodel:\n  <<: *c\n' });
    const r = loadConfigFile(join(dir, 'e.yaml'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issues = r.error.issues ?? [];
    // "common" is not an experiment field; the bad precision is reported where it is written (line 3).
    expect(issues.find((i) => i.path === 'model.fp_precision')?.location?.line).toBe(3);
    expect(issues.find((i) => i.path === 'common')?.location?.line).toBe(1);
  });

  it('a missing file is a usage error naming it', () => {
    const r = loadCampaign('campaigns/nope.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        code: 'LEM003',
        exitCode: 2,
        message: expect.stringContaining('campaigns/nope.yaml'),
      });
  });
});

describe('resolved configs', () => {
  it('validate again unchanged (plans stored on disk re-parse to the same config)', () => {
    for (const e of loaded('campaigns/full-backend-sweep.yaml').experiments) {
      expect(ExperimentConfig.parse(JSON.parse(JSON.stringify(e.config)))).toEqual(e.config);
    }
  });
});
