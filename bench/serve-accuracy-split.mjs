// Splits the client-observed TTFT and ITL of a load run against lem's synthetic server into where the time went,
// from the server's own times (GET /simulated/timings, CLOCK_MONOTONIC) put beside lem's records on the same clock:
//   up    client send → server received (the request's way in: client write, network, up to the kernel's receive
//         stamp on the server's socket; `read` is the further time until the server's loop had read it)
//   late  server sent − server deadline for each token (the server's lateness against its own schedule)
//   down  client receive − server sent for each token (the token's way back: network/proxy, client parsing)
// so TTFT = up + configured TTFT + late(first) + down(first), and each ITL = configured ITL + Δlate + Δdown.
import { performance } from 'node:perf_hooks';
import { percentileOf } from '../dist/serve/latency-stats.js';

/**
 * What to add to a performance.now() reading to put it on CLOCK_MONOTONIC in ms (Node's hrtime is CLOCK_MONOTONIC
 * on Linux). The hrtime reading is bracketed by two performance.now() readings and the tightest of several pairs is
 * kept: a first call can take a millisecond (lazy set-up), which would otherwise shift every client time.
 */
export function monoOffsetMs() {
  let best = { gap: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    const hr = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best.gap) best = { gap: after - before, offset: hr - (before + after) / 2 };
  }
  return best.offset;
}

/** The median, NaN (printed as such) when there is nothing to take it of. */
const median = (values) => percentileOf(values, 50) ?? NaN;

/**
 * records: lem's RequestRecords (ms since the run's time 0); prompts: the prompt each index was sent with;
 * streams: the server's timing log; t0MonoMs: the run's time 0 on CLOCK_MONOTONIC in ms.
 */
export function split(records, prompts, streams, t0MonoMs) {
  const byKey = new Map(streams.map((s) => [s.key, s]));
  const ns = (v) => v / 1e6 - t0MonoMs;
  const up = [];
  const read = [];
  const late = [];
  const lateFirst = [];
  const down = [];
  const downFirst = [];
  const served = [];
  const overhead = [];
  let matched = 0;
  for (const r of records) {
    const s = byKey.get(prompts[r.index % prompts.length]);
    if (r.warmup || r.errorClass !== null || !s || s.sent_ns.length !== r.chunkMs.length) continue;
    matched++;
    up.push(ns(s.received_ns) - r.sendMs);
    read.push((s.read_ns - s.received_ns) / 1e6);
    for (let i = 0; i < s.sent_ns.length; i++) {
      const l = (s.sent_ns[i] - s.due_ns[i]) / 1e6;
      const d = r.chunkMs[i] - ns(s.sent_ns[i]);
      late.push(l);
      down.push(d);
      if (i === 0) {
        lateFirst.push(l);
        downFirst.push(d);
        served.push((s.sent_ns[0] - s.received_ns) / 1e6);
        // lem's own part of this TTFT (measured − as served) is the way in and the first token's way back.
        overhead.push(up.at(-1) + d);
      }
    }
  }
  return {
    matched,
    upMs: median(up),
    readMs: median(read),
    lateMs: median(late),
    lateFirstMs: median(lateFirst),
    downMs: median(down),
    downFirstMs: median(downFirst),
    servedTtftMs: median(served),
    servedTtftP90Ms: percentileOf(served, 90) ?? NaN,
    overheadMs: median(overhead),
    overheadP90Ms: percentileOf(overhead, 90) ?? NaN,
  };
}
