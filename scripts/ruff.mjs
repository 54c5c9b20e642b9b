#!/usr/bin/env node
// `npm run lint:py`: ruff's lint and format check over the harness, through ruff's official WebAssembly build
// (@astral-sh/ruff-wasm-nodejs), so neither PyPI nor a Python package is needed. The settings are
// docker/harness/ruff.toml, the same file a native `ruff check` / `ruff format --check` reads there.
//   node scripts/ruff.mjs           report lint problems and files whose formatting differs; exit 1 if any
//   node scripts/ruff.mjs --format  rewrite files into ruff's format first (then report what is left)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ruff from '@astral-sh/ruff-wasm-nodejs';

const ROOT = 'docker/harness';

/**
 * The TOML that ruff.toml uses: `[section.sub]` headers and `key = value` lines (keys bare or quoted) whose
 * values are JSON (strings, numbers, booleans, arrays on one line). Anything else is refused, so a setting is
 * never silently dropped.
 */
function readSettings(file) {
  const settings = {};
  let table = settings;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (!line || line.startsWith('#')) return;
      const header = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
      if (header) {
        table = settings;
        for (const key of header[1].split('.')) table = table[key] ??= {};
        return;
      }
      const pair = /^([A-Za-z0-9_-]+|"[^"]+")\s*=\s*(.+)$/.exec(line);
      let value;
      try {
        value = pair ? JSON.parse(pair[2]) : undefined;
      } catch {
        value = undefined;
      }
      if (value === undefined) throw new Error(`${file}:${i + 1}: not a setting this script can read: ${raw}`);
      table[pair[1].replace(/^"(.*)"$/, '$1')] = value;
    });
  return settings;
}

function pythonFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === '__pycache__' || e.name.startsWith('.') ? [] : pythonFiles(path);
    return e.name.endsWith('.py') ? [path] : [];
  });
}

/** ruff's path patterns as ruff.toml uses them: a path below docker/harness, a folder, or `folder/*`. */
function matches(pattern, rel) {
  const base = pattern.replace(/\/\*+$/, '');
  return rel === base || rel.startsWith(`${base}/`);
}

// The WebAssembly build checks text, not paths: the path-based settings (exclusions, per-file ignores) are
// applied here, with one workspace per distinct set of ignored rules.
const { 'extend-exclude': excluded = [], ...settings } = readSettings(join(ROOT, 'ruff.toml'));
const { 'per-file-ignores': perFile = {}, ...lint } = settings.lint ?? {};
const workspaces = new Map();
function workspaceFor(rel) {
  const extra = Object.entries(perFile)
    .filter(([pattern]) => matches(pattern, rel))
    .flatMap(([, codes]) => codes);
  const key = extra.join(',');
  if (!workspaces.has(key)) {
    const options = { ...settings, lint: { ...lint, ignore: [...(lint.ignore ?? []), ...extra] } };
    workspaces.set(key, new ruff.Workspace(options, ruff.PositionEncoding.Utf16));
  }
  return workspaces.get(key);
}

const rewrite = process.argv.includes('--format');
let problems = 0;
for (const file of pythonFiles(ROOT)) {
  const rel = relative(ROOT, file);
  if (excluded.some((pattern) => matches(pattern, rel))) continue;
  const workspace = workspaceFor(rel);
  let text = readFileSync(file, 'utf8');
  const formatted = workspace.format(text);
  if (rewrite && formatted !== text) {
    writeFileSync(file, formatted);
    text = formatted;
  }
  for (const d of workspace.check(text)) {
    problems += 1;
    console.log(`${file}:${d.start_location.row}:${d.start_location.column}: ${d.code ?? 'syntax'} ${d.message}`);
  }
  if (formatted !== text) {
    problems += 1;
    console.log(`${file}: not formatted as ruff format would (node scripts/ruff.mjs --format rewrites it)`);
  }
}
console.log(problems === 0 ? `ruff ${ruff.Workspace.version()}: harness clean` : `ruff: ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
