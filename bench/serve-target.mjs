// A zero-delay OpenAI-style streaming server for the serving bench, run as its own process so that its CPU is
// not the load generator's: every request streams `max_tokens` chat chunks, one token per SSE event, each written
// separately, then usage and [DONE]. Prints its port on stdout.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(parts).toString() || '{}');
    const n = body.max_tokens ?? 16;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < n; i++) res.write(`data: {"choices":[{"index":0,"delta":{"content":"t${i} "}}]}\n\n`);
    res.write(`data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":${n}}}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
