/**
 * bench:gateway — the media gateway's own overhead and CPU cost under N concurrent simulated calls.
 *
 * Three child processes: the vendor simulators at fixed latencies (STT final 300 ms = 250 ms
 * segmentation silence + 50 ms, LLM first token 400 ms, TTS first byte 150 ms) with the relay's
 * peer; the real gateway; and a bare `ws` relay (the floor). This process plays Twilio for every
 * call: 20 ms caller frames in real time, each call on its own phase of the 20 ms clock (as each
 * Twilio stream is clocked from its own start), the agent's audio "played" at 20 ms per 160 bytes
 * with marks echoed when reached, the next line said once the agent has finished.
 *
 * Per turn, voice-to-voice = first agent frame received − end of the caller's speech; minus the
 * configured 850 ms it is the gateway's overhead. CPU: the child's user+system time
 * (/proc/<pid>/stat) over the run, per second of call. Prints figures; the last line is JSON.
 *
 *   npm run bench:gateway -- --calls 200 --ramp-ms 4000 --rounds 2 --slots 10
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { randomUUID, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { availableParallelism } from 'node:os';
import WebSocket from 'ws';
import { mintMediaToken } from '../lib/media-token';
import { encodeSpeech, ULAW_SILENCE } from '../sim/audio';
import { CALLER_LINES, CONFIGURED_MS, LATENCY } from './gateway/script';
import { StallMeter } from './gateway/stalls';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CALLS = arg('calls', 200);
const RAMP_MS = arg('ramp-ms', 4_000);
// Gateway and relay runs alternate, pooled over the rounds: CPU time on a shared 2-core box drifts
// by ±15% between runs, and alternating keeps the drift from landing on one side of the ratio.
const ROUNDS = arg('rounds', 2);
// Phases of the 20 ms frame clock the calls are spread over (1 = every call's frame at once).
const SLOTS = arg('slots', 10);
const SECRET = randomBytes(32).toString('base64url');
const ROOT = new URL('../', import.meta.url).pathname;

function child(script: string, args: string[]): Promise<{ proc: ChildProcess; info: any }> {
  // BENCH_PROFILE=<dir> writes a V8 CPU profile of the gateway process there (open it in Chrome DevTools).
  const prof =
    process.env.BENCH_PROFILE && script.includes('gateway-process')
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE]
      : [];
  // BENCH_NODE_FLAGS (e.g. "--max-semi-space-size=32") go to the gateway and the relay alike, for GC experiments.
  const flags =
    (script.includes('gateway-process') || script.includes('relay')) && process.env.BENCH_NODE_FLAGS
      ? process.env.BENCH_NODE_FLAGS.split(' ')
      : [];
  const proc = spawn(process.execPath, [...flags, ...prof, '--import', 'tsx', `${ROOT}${script}`, ...args], {
    env: { ...process.env, BENCH_MEDIA_SECRET: SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    // The first JSON line is the child's address; anything else it prints (a GC trace from
    // BENCH_NODE_FLAGS, say) goes to BENCH_CHILD_LOG when set.
    let started = false;
    rl.on('line', (l) => {
      if (!started && l.startsWith('{')) {
        started = true;
        resolve({ proc, info: JSON.parse(l) });
      } else if (process.env.BENCH_CHILD_LOG) appendFileSync(process.env.BENCH_CHILD_LOG, `${script}: ${l}\n`);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
}

/** user + system CPU of a process, ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const SILENT = Buffer.alloc(160, ULAW_SILENCE);
const LINES = CALLER_LINES.map((t) => {
  const audio = encodeSpeech(t);
  // encodeSpeech ends with 20 ms of silence after the last symbol: the last voiced byte is before it.
  return { audio, lastVoiced: audio.length - 161 };
});

class BenchCall {
  readonly callId = randomUUID();
  readonly streamSid = 'MZ' + randomBytes(16).toString('hex');
  private ws: WebSocket;
  private seq = 0;
  private frame = 0;
  private line = -1;
  private off = 0;
  private speaking = false;
  private tEos: number | undefined;
  private play: (number | string)[] = [];
  private heardSinceLine = false;
  private lastPlayedAt = 0;
  openedAt = 0;
  closedAt = 0;
  /** Voice-to-voice per answered line: [line index, ms]. */
  readonly v2v: [number, number][] = [];
  done: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.done = new Promise((resolve) => {
      this.ws.on('close', () => {
        this.closedAt = performance.now();
        resolve();
      });
      this.ws.on('error', () => {});
    });
    this.ws.on('open', () => {
      this.openedAt = performance.now();
      this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      this.send({
        event: 'start',
        sequenceNumber: String(++this.seq),
        streamSid: this.streamSid,
        start: {
          streamSid: this.streamSid,
          accountSid: 'AC' + '0'.repeat(32),
          callSid: 'CA' + randomBytes(16).toString('hex'),
          tracks: ['inbound'],
          customParameters: { callId: this.callId, token: mintMediaToken(SECRET, this.callId, 600) },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      });
    });
    this.ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString());
      if (m.event === 'media') {
        const n = Buffer.from(m.media.payload, 'base64').length;
        if (this.tEos !== undefined) {
          this.v2v.push([this.line, performance.now() - this.tEos]);
          this.tEos = undefined;
        }
        this.play.push(n);
      } else if (m.event === 'mark') this.play.push(m.mark.name);
      else if (m.event === 'clear') this.play = [];
    });
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private send(o: object) {
    if (this.open) this.ws.send(JSON.stringify(o));
  }

  tick() {
    if (!this.open || !this.openedAt) return;
    const now = performance.now();
    // Caller side.
    let payload = SILENT;
    if (this.speaking) {
      const l = LINES[this.line]!;
      payload = Buffer.from(l.audio.subarray(this.off, this.off + 160));
      if (this.off <= l.lastVoiced && l.lastVoiced < this.off + 160) {
        // The frame leaves when its 20 ms have been captured: the voice ended (159 - p)/8 ms earlier.
        this.tEos = now - (159 - (l.lastVoiced - this.off)) / 8;
      }
      this.off += 160;
      if (this.off >= l.audio.length) {
        this.speaking = false;
        this.heardSinceLine = false;
      }
      if (payload.length < 160) payload = Buffer.concat([payload, SILENT.subarray(payload.length)]);
    }
    this.ws.send(
      `{"event":"media","sequenceNumber":"${++this.seq}","media":{"track":"inbound","chunk":"${++this.frame}","timestamp":"${this.frame * 20}","payload":"${payload.toString('base64')}"},"streamSid":"${this.streamSid}"}`,
    );
    // Twilio's side: play 160 bytes, echo the marks reached.
    let budget = 160;
    while (this.play.length && (budget > 0 || typeof this.play[0] === 'string')) {
      const head = this.play[0]!;
      if (typeof head === 'string') {
        this.send({ event: 'mark', sequenceNumber: String(++this.seq), streamSid: this.streamSid, mark: { name: head } });
        this.play.shift();
        continue;
      }
      const take = Math.min(head, budget);
      budget -= take;
      this.heardSinceLine = true;
      this.lastPlayedAt = now;
      if (take === head) this.play.shift();
      else this.play[0] = head - take;
    }
    // The next line once the agent has finished (500 ms of nothing left to play).
    if (
      !this.speaking &&
      this.heardSinceLine &&
      this.play.length === 0 &&
      now - this.lastPlayedAt >= 500 &&
      this.line < LINES.length - 1
    ) {
      this.line++;
      this.off = 0;
      this.speaking = true;
    }
  }
}

async function run(url: string, pid: number, label: string, simsPid: number) {
  const cpu0 = cpuMs(pid);
  const sims0 = cpuMs(simsPid);
  const wall0 = performance.now();
  const driverCpu0 = process.cpuUsage();
  driverStalls.take();
  let lateMax = 0;
  const calls: BenchCall[] = [];
  const bySlot: BenchCall[][] = Array.from({ length: SLOTS }, () => []);
  const t0 = performance.now();
  let slotNo = 0;
  let stop = false;
  // A frame every 20 ms per call, catching up after a stall. Each call keeps its own phase, as
  // Twilio's streams do (each is clocked from its own start): the calls are spread over SLOTS
  // slots of the 20 ms period, so the gateway is not handed every call's frame in one burst.
  const slotMs = 20 / SLOTS;
  const loop = () => {
    if (stop) return;
    const now = performance.now();
    if (slotNo > 0) lateMax = Math.max(lateMax, now - (t0 + slotNo * slotMs));
    while (t0 + slotNo * slotMs <= now) {
      for (const c of bySlot[slotNo % SLOTS]!) c.tick();
      slotNo++;
    }
    setTimeout(loop, Math.max(0, t0 + slotNo * slotMs - performance.now()));
  };
  loop();
  for (let i = 0; i < CALLS; i++) {
    const call = new BenchCall(url);
    calls.push(call);
    bySlot[i % SLOTS]!.push(call);
    await new Promise((r) => setTimeout(r, RAMP_MS / CALLS));
  }
  await Promise.race([Promise.all(calls.map((c) => c.done)), new Promise((r) => setTimeout(r, 120_000))]);
  stop = true;
  const cpu = cpuMs(pid) - cpu0;
  const wall = performance.now() - wall0;
  const simsCpu = cpuMs(simsPid) - sims0;
  const driverCpu = process.cpuUsage(driverCpu0);
  const callSec = calls.reduce((n, c) => n + Math.max(0, (c.closedAt || performance.now()) - c.openedAt) / 1000, 0);
  const v2v = calls.flatMap((c) => c.v2v);
  const complete = calls.filter((c) => c.v2v.length === LINES.length).length;
  console.log(
    `${label}: ${calls.length} calls (${complete} with every turn answered), ${callSec.toFixed(0)} call-seconds, CPU ${cpu.toFixed(0)} ms → ${(cpu / callSec).toFixed(2)} ms per call-second ` +
      `(${((cpu / wall) * 100).toFixed(0)}% of a core); simulators ${((simsCpu / wall) * 100).toFixed(0)}% of a core; ` +
      `driver ${(((driverCpu.user + driverCpu.system) / 1000 / wall) * 100).toFixed(0)}% of a core, frame clock late by up to ${lateMax.toFixed(0)} ms, ${StallMeter.describe(driverStalls.take())}`,
  );
  for (const c of calls) if (c.open) c['ws'].terminate();
  return { cpu, callSec, v2v, complete };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

/** Stage percentiles from the gateway's own per-turn stamps (ms after the end of speech as the gateway heard it). */
async function stages(statsUrl: string) {
  const {
    turns: ls,
    loop,
    gc,
    stalls,
  } = (await (await fetch(statsUrl)).json()) as {
    stalls: ReturnType<StallMeter['take']>;
    turns: Record<string, number>[];
    loop: Record<string, number>;
    gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  };
  const stat = (k: string) => {
    const xs = ls
      .map((l) => l[k])
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    return `${pct(xs, 50)}/${pct(xs, 99)}`;
  };
  // The slowest 1% of turns by the gateway's own stamps, split by hop: which leg the tail is in.
  const full = ls.filter((l) =>
    ['sttFinalMs', 'llmFirstTokenMs', 'firstClauseMs', 'ttsFirstByteMs', 'firstFrameMs'].every((k) => typeof l[k] === 'number'),
  );
  const worst = full.sort((a, b) => b.firstFrameMs! - a.firstFrameMs!).slice(0, Math.max(1, Math.ceil(full.length / 100)));
  const mean = (f: (l: Record<string, number>) => number) => (worst.reduce((n, l) => n + f(l), 0) / worst.length).toFixed(1);
  const tail =
    `${worst.length} slowest turns, mean ms beyond the configured latency: STT ${mean((l) => l.sttFinalMs! - LATENCY.sttFinalMs)}, ` +
    `model ${mean((l) => l.llmFirstTokenMs! - l.sttFinalMs! - LATENCY.llmFirstTokenMs)}, clause ${mean((l) => l.firstClauseMs! - l.llmFirstTokenMs!)}, ` +
    `TTS ${mean((l) => l.ttsFirstByteMs! - l.firstClauseMs! - LATENCY.ttsFirstByteMs)}, frame ${mean((l) => l.firstFrameMs! - l.ttsFirstByteMs!)}`;
  return {
    loop,
    gc,
    stalls,
    tail,
    turns: ls.length,
    sttFinal: stat('sttFinalMs'),
    llmFirstToken: stat('llmFirstTokenMs'),
    firstClause: stat('firstClauseMs'),
    ttsFirstByte: stat('ttsFirstByteMs'),
    firstFrame: stat('firstFrameMs'),
  };
}

const driverStalls = new StallMeter();
const sims = await child('bench/gateway/sims.ts', []);
const gw = await child('bench/gateway/gateway-process.ts', [JSON.stringify(sims.info)]);
const relay = await child('bench/gateway/relay.ts', [sims.info.peerUrl]);
try {
  console.log(`bench:gateway — ${CALLS} calls ramped over ${RAMP_MS} ms; configured vendor latency ${CONFIGURED_MS} ms per turn`);
  console.log(
    `load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} cores`,
  );
  await stages(gw.info.statsUrl); // drops start-up from the event-loop figures
  const pool = (xs: Awaited<ReturnType<typeof run>>[]) => {
    const cpu = xs.reduce((n, x) => n + x.cpu, 0);
    const callSec = xs.reduce((n, x) => n + x.callSec, 0);
    const all = xs.flatMap((x) => x.v2v);
    const byLine = LINES.map((_, i) =>
      all
        .filter(([l]) => l === i)
        .map(([, ms]) => ms - CONFIGURED_MS)
        .sort((a, b) => a - b),
    );
    return { cpuPerCallSec: cpu / callSec, v2v: all.map(([, ms]) => ms).sort((a, b) => a - b), byLine };
  };
  const gs = [];
  const rs = [];
  for (let i = 1; i <= ROUNDS; i++) {
    gs.push(await run(gw.info.url, gw.proc.pid!, `gateway (round ${i})`, sims.proc.pid!));
    rs.push(await run(relay.info.url, relay.proc.pid!, `relay   (round ${i})`, sims.proc.pid!));
  }
  const st = await stages(gw.info.statsUrl);
  const g = pool(gs);
  const r = pool(rs);
  console.log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const over = g.v2v.map((v) => v - CONFIGURED_MS);
  const relayOver = r.v2v.map((v) => v - CONFIGURED_MS);
  console.log(
    `voice-to-voice: gateway p50 ${pct(g.v2v, 50).toFixed(1)} p99 ${pct(g.v2v, 99).toFixed(1)} ms over ${g.v2v.length} turns; relay p50 ${pct(r.v2v, 50).toFixed(1)} p99 ${pct(r.v2v, 99).toFixed(1)} ms`,
  );
  console.log(
    `overhead (voice-to-voice − ${CONFIGURED_MS} ms): gateway p50 ${pct(over, 50).toFixed(1)} p99 ${pct(over, 99).toFixed(1)} ms; relay (same simulators' timing, no vendor protocols) p50 ${pct(relayOver, 50).toFixed(1)} p99 ${pct(relayOver, 99).toFixed(1)} ms`,
  );
  const perLine = (b: number[][]) =>
    b.map((xs, i) => `line ${i + 1} ${pct(xs, 50).toFixed(1)}/${pct(xs, 99).toFixed(1)}`).join(', ');
  console.log(`overhead p50/p99 by caller line: gateway ${perLine(g.byLine)}; relay ${perLine(r.byLine)}`);
  console.log(
    `gateway stages, ms after the end of speech it heard, p50/p99 over ${st.turns} turns (configured: final 300, first token +400 = 700, first byte +150 = 850): ` +
      `STT final ${st.sttFinal}, LLM first token ${st.llmFirstToken}, first clause ${st.firstClause}, TTS first byte ${st.ttsFirstByte}, first frame sent ${st.firstFrame}`,
  );
  console.log(`gateway tail: ${st.tail}`);
  console.log(
    `gateway event loop delay (1 ms resolution): p50 ${st.loop.p50!.toFixed(1)} p99 ${st.loop.p99!.toFixed(1)} max ${st.loop.max!.toFixed(1)} ms`,
  );
  console.log(`gateway main thread over the gateway rounds: ${StallMeter.describe(st.stalls)}`);
  const gcLine = Object.entries(st.gc).map(
    ([k, g]) => `${k} ${g.count}× ${g.totalMs.toFixed(0)} ms (longest ${g.maxMs.toFixed(1)})`,
  );
  console.log(`gateway GC pauses over the gateway rounds: ${gcLine.join(', ') || 'none reported'}`);
  const ratio = g.cpuPerCallSec / r.cpuPerCallSec;
  console.log(
    `CPU per call-second: gateway ${g.cpuPerCallSec.toFixed(2)} ms, relay ${r.cpuPerCallSec.toFixed(2)} ms, ratio ${ratio.toFixed(2)}`,
  );
  console.log(
    JSON.stringify({
      bench: 'gateway',
      calls: CALLS,
      overhead_ms_p50: Number(pct(over, 50).toFixed(1)),
      overhead_ms_p99: Number(pct(over, 99).toFixed(1)),
      cpu_ms_per_call_s: Number(g.cpuPerCallSec.toFixed(2)),
      relay_cpu_ms_per_call_s: Number(r.cpuPerCallSec.toFixed(2)),
      cpu_ratio: Number(ratio.toFixed(2)),
    }),
  );
} finally {
  for (const c of [relay, gw, sims]) c.proc.kill('SIGTERM');
  await new Promise((r) => gw.proc.once('exit', r));
}
process.exit(0);
