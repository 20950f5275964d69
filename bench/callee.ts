/**
 * `npm run bench:callee`: what the simulated callee (sim/callee) costs, so gateway benches know it is
 * not their bottleneck. N concurrent Media Streams (default 200) for D seconds (default 10) against a
 * minimal gateway in a child process that plays 2 s of agent speech plus a mark every 4 s. Reports the
 * callee process's CPU per call-second and how late caller frames arrive at the gateway relative to a
 * perfect 20 ms clock (per stream, zeroed on its earliest frame). Prints figures; asserts nothing. Last line: one JSON object.
 *   BENCH_CALLS=200 BENCH_SECONDS=10 npm run bench:callee
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { encodeSpeech } from '../sim/audio';
import { CalleeStream } from '../sim/callee/media-client';
import { runPersona } from '../sim/callee/persona-runner';

const calls = Number(process.env.BENCH_CALLS ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

if (process.argv[2] === '--gateway') {
  // The child: accept streams, play agent audio, record caller-frame lateness per stream.
  const speech = encodeSpeech('Hello, this is the agent.');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const late: number[] = [];
  wss.on('connection', (ws) => {
    let streamSid = '';
    const arrivals: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.event === 'start') {
        streamSid = m.streamSid;
        const play = () => {
          for (let i = 0; i < speech.length; i += 640)
            ws.send(
              JSON.stringify({ event: 'media', streamSid, media: { payload: speech.subarray(i, i + 640).toString('base64') } }),
            );
          ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: 'm' } }));
        };
        play();
        timer = setInterval(play, 4_000);
      } else if (m.event === 'media') {
        // Arrival minus the frame's place on the stream's clock; the earliest frame sets the zero.
        arrivals.push(performance.now() - (Number(m.media.chunk) - 1) * 20);
      }
    });
    ws.on('close', () => {
      clearInterval(timer);
      const zero = Math.min(...arrivals);
      for (const a of arrivals) late.push(a - zero);
    });
  });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
  process.on('message', () => {
    late.sort((a, b) => a - b);
    const q = (p: number) => late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? 0;
    process.send!({ p50: q(0.5), p99: q(0.99), max: late.at(-1) ?? 0, frames: late.length }, () => process.exit(0));
  });
} else {
  const child = fork(fileURLToPath(import.meta.url), ['--gateway'], { execArgv: ['--import', 'tsx'] });
  const { port } = await new Promise<{ port: number }>((r) => child.once('message', (m) => r(m as { port: number })));
  const url = `ws://127.0.0.1:${port}/twilio/stream`;
  const acs: AbortController[] = [];
  const clientLate: number[] = [];
  const firstTickAt: number[] = [];
  const streams: CalleeStream[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const ac = new AbortController();
    acs.push(ac);
    const s = new CalleeStream(
      { callSid: `CA${i}`, accountSid: 'AC0', streamUrl: url, parameters: { token: 'x' }, signal: ac.signal },
      Promise.resolve(),
    );
    const ticks: number[] = [];
    // tick fires after frame n is sent, with nowMs = (n+1) × 20: the send time on the stream's own clock.
    s.on({
      tick: (ms) => {
        ticks.push(performance.now() - (ms - 20));
        if (ms === 20) firstTickAt.push(performance.now() - t0);
      },
      end: () => {
        const z = Math.min(...ticks);
        for (const x of ticks) clientLate.push(x - z);
      },
    });
    void runPersona(s, [
      { backchannel: 'Ok.', afterAgentMs: 400 },
      { say: 'Yes, tell me more.' },
      { say: 'Sure.' },
      { silence: true },
    ]);
    s.connect();
    streams.push(s);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const ac of acs) ac.abort('bench over');
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(streams.map((s) => s.ended));
  await new Promise((r) => setTimeout(r, 500)); // the gateway sees every close
  child.send('report');
  const lat = await new Promise<{ p50: number; p99: number; max: number; frames: number }>((r) =>
    child.once('message', (m) => r(m as never)),
  );
  const callSeconds = streams.reduce((n, s) => n + s.session.framesSent * 0.02, 0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const heard = streams.reduce((n, s) => n + s.session.agent.length, 0);
  const marks = streams.reduce((n, s) => n + s.session.marks.filter((m) => m.echoedMs !== undefined).length, 0);
  console.log(
    `${calls} streams × ${wallS.toFixed(1)} s: ${callSeconds.toFixed(0)} call-seconds of media, ${heard} agent utterances heard, ${marks} marks echoed`,
  );
  console.log(
    `callee CPU: ${cpuMs.toFixed(0)} ms → ${(cpuMs / callSeconds).toFixed(2)} ms per call-second (${((cpuMs / (wallS * 1000)) * 100).toFixed(0)}% of a core)`,
  );
  console.log(
    `caller frame lateness at the gateway vs a perfect 20 ms clock: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms`,
  );
  clientLate.sort((a, b) => a - b);
  console.log(`streams opened between ${Math.min(...firstTickAt).toFixed(0)} and ${Math.max(...firstTickAt).toFixed(0)} ms`);
  const cq = (p: number) => clientLate[Math.min(clientLate.length - 1, Math.floor(p * clientLate.length))] ?? 0;
  console.log(
    `frame send lateness in the callee process: p50 ${cq(0.5).toFixed(1)} ms, p99 ${cq(0.99).toFixed(1)} ms, max ${clientLate.at(-1)?.toFixed(1)} ms`,
  );
  console.log(
    JSON.stringify({
      bench: 'callee',
      calls,
      seconds: +wallS.toFixed(1),
      cpu_ms_per_call_s: +(cpuMs / callSeconds).toFixed(3),
      frame_late_ms_p50: +lat.p50.toFixed(1),
      frame_late_ms_p99: +lat.p99.toFixed(1),
      send_late_ms_p99: +cq(0.99).toFixed(1),
    }),
  );
}
