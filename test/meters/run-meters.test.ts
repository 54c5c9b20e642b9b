import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultDocument } from '../../src/contract/result.js';
import { batchMeters, preflightMeters, unionOfSources } from '../../src/meters/run-meters.js';
import { buildResult, defaultConfig, writeResult } from '../fixtures/result-builder.js';
import { advancingPowercap } from '../support/powercap-tree.js';

// Real files: a powercap-shaped tree that advances, a CSV log, result.json files written and rewritten on disk.
const dir = mkdtempSync(join(tmpdir(), 'lem-run-meters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exp = (id: string, sources: unknown[] | undefined) => ({
  id,
  config: sources === undefined ? {} : { measurement: { sources } },
});

describe('unionOfSources', () => {
  it('runs one meter per distinct source across a batch, and names a corrupt entry', () => {
    const rapl = { type: 'rapl', root: '/r', interval_ms: 100 };
    const csv = { type: 'csv', path: 'a.csv', clock_offset_s: 0, domain: 'node' };
    const r = unionOfSources([exp('a', [rapl]), exp('b', [rapl, csv]), exp('c', undefined)]);
    expect(r.ok && r.value.map((s) => s.type)).toEqual(['rapl', 'csv']);
    const bad = unionOfSources([exp('d', [{ type: 'rapl', interval_ms: 1 }])]);
    expect(!bad.ok && bad.error.message).toMatch(/^experiment d: measurement\.sources\.0\.interval_ms/);
  });
});

describe('batch meters on real files', () => {
  it('a log that cannot be read at the end: each finished result says why, with its GPU figure kept', async () => {
    const sources = [{ type: 'csv', path: join(dir, 'never-written.csv'), clock_offset_s: 0, domain: 'node' }];
    const doc = buildResult(
      { experimentId: 'x1', config: defaultConfig('vllm', 8, { measurement: { sources } }) },
      { window: { start_unix_s: 10, end_unix_s: 20 } },
    );
    const path = writeResult(dir, doc);
    const run = await batchMeters({}).start([exp('x1', sources)]);
    expect(run).toBeDefined();
    const problems = await run!.finish([{ ...exp('x1', sources), resultPath: path }]);
    expect(problems).toEqual([expect.stringMatching(/^host meters failed: meter log .*never-written\.csv/)]);
    const after = ResultDocument.parse(JSON.parse(readFileSync(path, 'utf8')));
    expect(after.domains!.error).toMatch(/meter log .*never-written\.csv \(csv\)/);
    expect(after.domains!.layers.node.missing).toMatch(/^host meters failed: meter log/);
    expect(after.domains!.layers.gpu.joules).not.toBeNull();
    // Everything the harness wrote is as it was.
    expect({ ...after, domains: undefined }).toEqual({ ...doc, domains: undefined });
  });

  it('meters that cannot start: the batch still gets results, each saying why host layers are missing', async () => {
    const sources = [
      {
        type: 'snmp',
        host: '127.0.0.1',
        port: 9,
        oid: '.1.3.6.1.2.1.1.3.0',
        community_env: 'LEM_TEST_UNSET',
        scale: 1,
      },
    ].map((x) => ({ ...x, interval_ms: 1000, timeout_ms: 100, retries: 0, domain: 'pdu:outlet-1' }));
    const doc = buildResult(
      { experimentId: 'x2', config: defaultConfig('vllm', 8, { measurement: { sources } }) },
      { window: { start_unix_s: 10, end_unix_s: 20 } },
    );
    const path = writeResult(dir, doc);
    const run = await batchMeters({}).start([exp('x2', sources)]);
    const problems = await run!.finish([{ ...exp('x2', sources), resultPath: path }]);
    expect(problems).toEqual([expect.stringMatching(/^host meters did not start: .*LEM_TEST_UNSET/)]);
    const after = ResultDocument.parse(JSON.parse(readFileSync(path, 'utf8')));
    expect(after.domains!.layers.node.missing).toMatch(/^host meters failed: .*environment variable LEM_TEST_UNSET/);
  });

  it('an experiment without sources in a metered batch keeps its result untouched', async () => {
    const tree = advancingPowercap(join(dir, 'pc'), [{ id: 'intel-rapl:0', name: 'package-0', watts: 30 }]);
    try {
      const sources = [{ type: 'rapl', root: join(dir, 'pc'), interval_ms: 20 }];
      const plain = writeResult(dir, buildResult({ experimentId: 'plain' }));
      const before = readFileSync(plain, 'utf8');
      const run = await batchMeters({}).start([exp('m', sources), exp('plain', undefined)]);
      expect(await run!.finish([{ ...exp('plain', undefined), resultPath: plain }])).toEqual([]);
      expect(readFileSync(plain, 'utf8')).toBe(before);
    } finally {
      tree.stop();
    }
  });

  it('a result file that is not a result is a problem line, not a crash, and is left as it was', async () => {
    const sources = [{ type: 'csv', path: join(dir, 'log.csv'), clock_offset_s: 0, domain: 'node' }];
    writeFileSync(join(dir, 'log.csv'), 'timestamp,watts\n1,5\n2,5\n');
    const bad = join(dir, 'bad-result.json');
    writeFileSync(bad, '{"schema_version": 4');
    const run = await batchMeters({}).start([exp('b', sources)]);
    const problems = await run!.finish([{ ...exp('b', sources), resultPath: bad }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^b: meters: .*bad-result\.json/);
    expect(readFileSync(bad, 'utf8')).toBe('{"schema_version": 4');
  });

  it('preflight refuses an unreadable RAPL root and never opens log files', async () => {
    const r = await preflightMeters([exp('p', [{ type: 'rapl', root: join(dir, 'absent'), interval_ms: 100 }])], {});
    expect(!r.ok && r.error.message).toMatch(/no RAPL here: cannot list/);
    const logsOnly = await preflightMeters(
      [exp('q', [{ type: 'csv', path: join(dir, 'not-yet.csv'), clock_offset_s: 0, domain: 'node' }])],
      {},
    );
    expect(logsOnly.ok).toBe(true);
  });
});
