import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRecordingStore } from '../lib/recordings/local-store';
import { createLogger } from '../lib/logger';
import { RecordingService } from '../media-gateway/recording/service';
import type { AgentConfig } from '../workflows/call/contract';

/**
 * What recording costs the audio loop: time spent in the tap (the synchronous part, on the audio
 * path; wall time, so other load on the machine inflates it) and process CPU in total (with the
 * async writes), per call-minute, for N simulated calls of M
 * minutes fed as fast as possible: 50 caller frames a second, an agent chunk of 400 ms with its
 * mark every second, confirmed one second later, a clear every 10 s.
 * BENCH_CALLS (default 20), BENCH_MINUTES (default 3).
 */
const agent: AgentConfig = {
  systemPrompt: 'bench',
  firstMessage: 'Hello.',
  language: 'en-US',
  voiceId: 'bench',
  llmModel: 'bench/model',
};
const calls = Number(process.env.BENCH_CALLS ?? 20);
const minutes = Number(process.env.BENCH_MINUTES ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'aicall-bench-rec-'));
const service = new RecordingService({
  store: new LocalRecordingStore(join(dir, 'store')),
  spoolDir: join(dir, 'spool'),
  log: createLogger('bench', 'silent'),
});
const frame = Buffer.alloc(160, 0x55);
const chunk = Buffer.alloc(3200, 0x33);

let tapNs = 0n;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const recs = Array.from({ length: calls }, (_, i) => {
  const callId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const r = service.forStream(callId, `MZ${i}`, createLogger('bench', 'silent'));
  r.attached({
    callId,
    accountId: '00000000-0000-4000-8000-000000000000',
    status: 'in_progress',
    voicemailPolicy: 'hangup',
    agent,
  });
  return r;
});
for (let s = 0; s < minutes * 60; s++) {
  const t = process.hrtime.bigint();
  for (const r of recs) {
    for (let f = 0; f < 50; f++) r.caller(frame);
    r.agent(chunk, `m${s}`);
    if (s > 0) r.confirmed(`m${s - 1}`);
    if (s % 10 === 9) r.cleared();
  }
  tapNs += process.hrtime.bigint() - t;
  // Let the write loops run between seconds, as the event loop would.
  await new Promise((r) => setImmediate(r));
}
const results = await Promise.all(recs.map((r) => r.finish()));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - wall0;
await rm(dir, { recursive: true, force: true });
const callMinutes = calls * minutes;
const stored = results.filter((r) => r.status === 'stored').length;
const tapUsPerCallMinute = Number(tapNs / 1000n) / callMinutes;
const cpuUsPerCallMinute = (cpu.user + cpu.system) / callMinutes;
console.log(`recording: ${calls} calls × ${minutes} min, ${stored} stored, wall ${wallMs.toFixed(0)} ms`);
console.log(
  `tap (the audio path's share, wall time) ${tapUsPerCallMinute.toFixed(0)} µs per call-minute = ${(tapUsPerCallMinute / 600_000).toFixed(4)}% of a core per call`,
);
console.log(`total CPU (tap + writes + finish) ${cpuUsPerCallMinute.toFixed(0)} µs per call-minute`);
console.log(
  JSON.stringify({
    bench: 'recording',
    calls,
    minutes,
    stored,
    tapUsPerCallMinute: Math.round(tapUsPerCallMinute),
    cpuUsPerCallMinute: Math.round(cpuUsPerCallMinute),
    wallMs: Math.round(wallMs),
  }),
);
