import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { TurnLatency } from '../../workflows/call/contract';
import { createLogger } from '../../lib/logger';
import { AzureSpeechToText, ElevenLabsTextToSpeech, OpenRouterChatModel } from '../../providers';
import { SIM_CREDENTIALS } from '../../providers/sim-credentials';
import { startMediaGateway } from '../../media-gateway/gateway';
import { DEFAULT_SETTINGS } from '../../media-gateway/conversation/session';
import type { CallWorkflowPort } from '../../media-gateway/signals/port';
import { GREETING, SEGMENTATION_SILENCE_MS } from './script';
import { StallMeter } from './stalls';
import { RecordingService } from '../../media-gateway/recording/service';
import { LocalRecordingStore } from '../../lib/recordings/local-store';

/**
 * Child process of bench:gateway: the real gateway (media-gateway/gateway.ts and everything under
 * it, the real vendor adapters) pointed at the simulators. Temporal is replaced by a port that
 * grants every media claim (attachMedia) and drops signals: a call makes one attach and about ten
 * signals in its life, far from the 50-frames-a-second audio path this benchmark measures.
 */
const urls = JSON.parse(process.argv[2]!) as { azureEndpoint: string; openrouterBaseUrl: string; elevenlabsBaseUrl: string };
// Per-turn stage stamps from the transcript signals, served to the driver for "where the time goes".
const latencies: TurnLatency[] = [];
const port: CallWorkflowPort = {
  async signal(_callId, def, arg) {
    const l = (arg as { latency?: TurnLatency; interrupted?: boolean }).latency;
    if (def.name === 'transcript' && l && !(arg as { interrupted?: boolean }).interrupted) latencies.push(l);
  },
  // Every stream is the call's first: the driver never replays one.
  async attachMedia(callId) {
    return {
      callId,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: {
        systemPrompt: 'Bench agent.',
        firstMessage: GREETING,
        language: 'en-US',
        voiceId: 'bench',
        llmModel: 'bench/model',
        silenceTimeoutSec: 30,
      },
    };
  },
  // Never asked: bench calls hang up on a machine, so the gateway greets at once.
  async amd() {
    return { status: 'in_progress' as const };
  },
};
const gateway = await startMediaGateway({
  deps: {
    stt: new AzureSpeechToText({
      key: SIM_CREDENTIALS.azureSpeechKey,
      endpoint: urls.azureEndpoint,
      maxHoldMs: process.env.BENCH_STT_MAX_HOLD_MS ? Number(process.env.BENCH_STT_MAX_HOLD_MS) : undefined,
    }),
    llm: new OpenRouterChatModel({ apiKey: SIM_CREDENTIALS.openrouterApiKey, baseURL: urls.openrouterBaseUrl }),
    tts: new ElevenLabsTextToSpeech({ apiKey: SIM_CREDENTIALS.elevenlabsApiKey, baseUrl: urls.elevenlabsBaseUrl }),
    port,
    log: createLogger('bench-gateway', 'warn'),
    settings: { ...DEFAULT_SETTINGS, segmentationSilenceMs: SEGMENTATION_SILENCE_MS },
  },
  mediaTokenSecret: process.env.BENCH_MEDIA_SECRET!,
  log: createLogger('bench-gateway', 'warn'),
  // BENCH_RECORD_DIR: record every call there, as production does (off by default, as before).
  recordings: process.env.BENCH_RECORD_DIR
    ? new RecordingService({
        store: new LocalRecordingStore(process.env.BENCH_RECORD_DIR),
        spoolDir: `${process.env.BENCH_RECORD_DIR}/.spool`,
        log: createLogger('bench-gateway', 'warn'),
      })
    : undefined,
});
// Event-loop delay: how long a ready timer or socket waited for the loop (queueing, GC pauses).
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const stallMeter = new StallMeter();
loopDelay.enable();
// Garbage-collection pauses by kind (minor = scavenge, major = mark-compact, incremental marking).
const gcKinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
// Every pause since the start (BENCH_STALL_LOG matches them to stalls); each stats request reports those after `gcReported`.
const gcLog: { at: number; kind: string; ms: number }[] = [];
let gcReported = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gcLog.push({
      at: e.startTime,
      kind: gcKinds[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other',
      ms: e.duration,
    });
}).observe({ entryTypes: ['gc'] });
const stats = createServer((_req, res) => {
  const loop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  loopDelay.reset();
  const gc: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  for (const g of gcLog.slice(gcReported)) {
    const k = (gc[g.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count++;
    k.totalMs += g.ms;
    k.maxMs = Math.max(k.maxMs, g.ms);
  }
  gcReported = gcLog.length;
  res.end(JSON.stringify({ turns: latencies.splice(0), loop, gc, stalls: stallMeter.take() }));
});
await new Promise<void>((r) => stats.listen(0, '127.0.0.1', r));
console.log(JSON.stringify({ url: gateway.url, statsUrl: `http://127.0.0.1:${(stats.address() as AddressInfo).port}` }));
// BENCH_HEAP_SAMPLE=<file>: a sampled allocation profile (collected objects included) of the whole
// run, written at exit (open it in Chrome DevTools' Memory tab): what the gateway allocates, and where.
const heapSampling = process.env.BENCH_HEAP_SAMPLE ? await startHeapSampling() : undefined;
async function startHeapSampling() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(process.env.BENCH_HEAP_SAMPLE!, JSON.stringify(profile));
  };
}
process.on('SIGTERM', () => {
  if (process.env.BENCH_STALL_LOG) {
    for (const st of stallMeter.log) {
      const g = gcLog.filter((x) => x.at + x.ms > st.at && x.at < st.at + st.ms);
      console.error(
        `stall at ${(st.at / 1000).toFixed(2)} s: ${st.ms.toFixed(0)} ms (cpu ${st.cpuMs.toFixed(0)}, wait ${st.waitMs.toFixed(0)}); GC inside: ${g.map((x) => `${x.kind} ${x.ms.toFixed(1)}`).join(', ') || 'none'}`,
      );
    }
  }
  void (heapSampling?.() ?? Promise.resolve()).then(() => gateway.close(1_000)).then(() => process.exit(0));
});
