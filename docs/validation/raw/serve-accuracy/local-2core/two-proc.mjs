import { spawn } from 'node:child_process';
const port = 18433;
const srv = spawn('python3', ['-m', 'lem_harness', 'serve-synthetic', '--ttft-ms', '20', '--itl-ms', '5', '--port', String(port)], { env: { ...process.env, PYTHONPATH: '/work/main/docker/harness' }, stdio: 'ignore' });
for (let i = 0; i < 100; i++) { if (await fetch(`http://127.0.0.1:${port}/health`).then(r => r.ok, () => false)) break; await new Promise(r => setTimeout(r, 200)); }
const child = (c, n, tag) => new Promise((res) => { let o = ''; const p = spawn('node', ['/tmp/two-proc-child.mjs', String(port), String(c), String(n), tag]); p.stdout.on('data', (d) => (o += d)); p.on('close', () => res(JSON.parse(o))); });
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const arms = { one: async (k) => [await child(64, 640, `one${k}`)], two: async (k) => Promise.all([child(32, 320, `a${k}`), child(32, 320, `b${k}`)]) };
const res = { one: [], two: [] };
for (let k = 0; k < 6; k++) for (const a of k % 2 ? ['two', 'one'] : ['one', 'two']) {
  const outs = await arms[a](k);
  const ttft = med(outs.flatMap((o) => o.ttft)), itl = med(outs.flatMap((o) => o.itl));
  res[a].push(ttft); console.log(a, ttft.toFixed(3), itl.toFixed(3));
}
console.log('one', res.one.map((x) => x.toFixed(2)).join(' '), '| two', res.two.map((x) => x.toFixed(2)).join(' '));
srv.kill('SIGTERM');
