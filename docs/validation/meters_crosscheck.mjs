// Cuts the device run's meter logs at the harness's measured windows with lem's own code (importers,
// window energy, domains block), and prints the cross-check table of docs/validation/README.md.
//   npm run build && node docs/validation/meters_crosscheck.mjs docs/validation/raw/meters-crosscheck
// The folder holds results/<campaign>/<experiment>/result.json and raw/nvidia-smi.csv (and raw/rapl.csv when
// the host had readable RAPL). The nvidia-smi log ran on the same host as the harness: offset 0, declared.
// The device's local time zone is UTC (raw/machine.txt); run this with TZ=UTC so nvidia-smi's zone-less
// timestamps are read as the device wrote them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateResult } from '../../dist/contract/result-migrate.js';
import { readLogSource } from '../../dist/meters/collect-domains.js';
import { domainsBlock } from '../../dist/meters/result-domains.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: TZ=UTC node meters_crosscheck.mjs <run folder>\n');
  process.exit(2);
}
const smiPath = join(dir, 'raw/nvidia-smi.csv');
const logs = [{ type: 'nvidia-smi-log', path: smiPath, clock_offset_s: 0 }];
// Where the log has power.draw.instant (which lem integrates), the same log cut down to power.draw alone is
// imported too: the 1 s trailing average a user gets from an older driver or the default query.
const smiLines = readFileSync(smiPath, 'utf8').split('\n');
const smiHeader = smiLines[0].split(',').map((h) => h.trim());
const AVERAGED = 'nvidia-smi power.draw (1 s average)';
if (smiHeader.some((h) => h.startsWith('power.draw.instant'))) {
  const keep = ['timestamp', 'index', 'power.draw [W]'].map((h) => smiHeader.indexOf(h));
  const averaged = smiLines.map((l) => (l.trim() === '' ? l : keep.map((i) => l.split(',')[i]).join(',')));
  const path = join(mkdtempSync(join(tmpdir(), 'lem-smi-')), 'nvidia-smi-power-draw-only.csv');
  writeFileSync(path, averaged.join('\n'));
  logs.push({ type: 'nvidia-smi-log', path, clock_offset_s: 0 });
}
if (existsSync(join(dir, 'raw/rapl.csv')))
  logs.push({ type: 'csv', path: join(dir, 'raw/rapl.csv'), clock_offset_s: 0, domain: 'cpu:package-0' });
const sources = logs.map((l) => {
  const r = readLogSource(l);
  if (!r.ok) throw new Error(r.error.message);
  return l.path === smiPath || l.type !== 'nvidia-smi-log' ? r.value : { ...r.value, source: AVERAGED };
});
const clock = { offset_s: 0, basis: 'declared: nvidia-smi ran on the host of the harness, same system clock' };

const f = (x, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
const campaigns = join(dir, 'results');
const rows = [];
for (const campaign of readdirSync(campaigns)) {
  for (const id of readdirSync(join(campaigns, campaign)).sort()) {
    const file = join(campaigns, campaign, id, 'result.json');
    if (!existsSync(file)) continue;
    const doc = migrateResult(JSON.parse(readFileSync(file, 'utf8')));
    if (!doc.ok) throw new Error(`${file}: ${doc.error}`);
    const d = domainsBlock(doc.value, sources, clock);
    const s = (d.window.end_unix_s - d.window.start_unix_s).toFixed(1);
    const fig = (src) => d.energies.find((e) => e.domain === 'gpu:0' && e.source.startsWith(src));
    const check = (src) => d.cross_checks.find((c) => c.domain === 'gpu:0' && c.other.startsWith(src));
    const smi = fig('nvidia-smi-log');
    const avg = fig(AVERAGED) ? `${f(fig(AVERAGED).joules)} (${f(check(AVERAGED)?.disagreement_pct, 2)} %)` : '—';
    rows.push([
      d.window.start_unix_s,
      `| ${id} | ${s} | ${f(doc.value.power.mean_w)} | ${f(fig('nvml (harness)')?.joules)} | ` +
        `${f(fig('nvml (harness) power integral')?.joules)} (${f(check('nvml (harness) power integral')?.disagreement_pct, 2)} %) | ` +
        `${f(smi?.joules)} (${f(check('nvidia-smi-log')?.disagreement_pct, 2)} %) | ${smi?.samples ?? '—'} | ` +
        `${f(smi?.cadence_s, 3)} | ${f(smi?.coverage, 3)} | ${check('nvidia-smi-log')?.flagged ? 'yes' : 'no'} | ${avg} |`,
    ]);
  }
}
console.log(
  '| experiment | window s | mean W (NVML) | NVML counter J | NVML integral J (vs counter) | nvidia-smi J (vs counter) | nvidia-smi samples | cadence s | coverage | flagged (> 5 %) | nvidia-smi power.draw J, when the log also had instant (vs counter) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [, r] of rows.sort((a, b) => a[0] - b[0])) console.log(r);
console.log(`\nnvidia-smi columns: ${smiHeader.join(', ')}`);
const notes = [...new Set(sources.flatMap((s) => s.notes))];
for (const n of notes) console.log(`\nnote: ${n.replace(/^\/tmp\/lem-smi-\w+\//, '(derived) ')}`);
