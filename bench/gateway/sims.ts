import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startAzureSpeechSim } from '../../sim/azure-speech/server';
import { startOpenRouterSim } from '../../sim/openrouter/server';
import { startElevenLabsSim } from '../../sim/elevenlabs/server';
import { SpeechDecoder, encodeSpeech } from '../../sim/audio';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StallMeter } from './stalls';
import { GREETING, LATENCY, SEGMENTATION_SILENCE_MS, STT_PROCESSING_MS, replyFor } from './script';

/**
 * Child process of bench:gateway: the vendor simulators at fixed latencies, and the relay's peer
 * (the same conversation, answered from the decoded caller audio after the same fixed latencies,
 * with no vendor protocol in between). Prints one JSON line with the URLs.
 */
// The simulators' own lateness adds to what the driver measures, for the gateway and the relay alike.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const stalls = new StallMeter();
const azure = await startAzureSpeechSim({ finalLatencyMs: STT_PROCESSING_MS });
const openrouter = await startOpenRouterSim({
  firstTokenMs: LATENCY.llmFirstTokenMs,
  tokensPerSec: Infinity, // the whole reply at once: the model's speed is not the gateway's overhead
  script: (messages) => {
    const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const r = replyFor(last);
    return r.end ? { text: r.text, toolCalls: [{ name: 'end_call', arguments: {} }] } : { text: r.text };
  },
});
const elevenlabs = await startElevenLabsSim({ firstByteMs: LATENCY.ttsFirstByteMs });

const CHUNK = 3200;
const peer = createServer();
const wss = new WebSocketServer({ server: peer, perMessageDeflate: false });
wss.on('connection', (ws) => {
  const decoder = new SpeechDecoder({ endSilenceMs: SEGMENTATION_SILENCE_MS });
  const say = (text: string, delayMs: number, end: boolean) =>
    setTimeout(() => {
      const audio = encodeSpeech(text);
      for (let i = 0; i < audio.length; i += CHUNK) if (ws.readyState === ws.OPEN) ws.send(audio.subarray(i, i + CHUNK));
      if (end && ws.readyState === ws.OPEN) ws.send('end');
    }, delayMs);
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      if (data.toString().startsWith('start')) say(GREETING, LATENCY.ttsFirstByteMs, false);
      return;
    }
    for (const ev of decoder.feed(data)) {
      if (ev.type !== 'final') continue;
      const r = replyFor(ev.text);
      // Timed from the end of speech, as the Azure simulator times its finals (sim/azure-speech/server.ts).
      say(r.text, decoder.waitFor(ev, STT_PROCESSING_MS) + LATENCY.llmFirstTokenMs + LATENCY.ttsFirstByteMs, r.end);
    }
  });
});
await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
loopDelay.enable();

console.log(
  JSON.stringify({
    azureEndpoint: azure.endpoint,
    openrouterBaseUrl: openrouter.baseUrl,
    elevenlabsBaseUrl: elevenlabs.env().ELEVENLABS_BASE_URL,
    peerUrl: `ws://127.0.0.1:${(peer.address() as AddressInfo).port}`,
  }),
);
process.on('SIGTERM', () => {
  loopDelay.disable();
  console.error(
    `simulators' event loop delay over the whole run: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} max ${(loopDelay.max / 1e6).toFixed(1)} ms; ${StallMeter.describe(stalls.take())}`,
  );
  // For "where the time goes": how many messages the gateway's STT sessions sent.
  const msgs = azure.sessions.reduce((n, s) => n + s.audioMessages, 0);
  const sec = azure.sessions.reduce((n, s) => n + s.audioBytes, 0) / 8000;
  if (sec > 0)
    console.error(
      `Azure simulator: ${msgs} audio messages for ${sec.toFixed(0)} s of audio (${(msgs / sec).toFixed(1)} per audio second)`,
    );
  process.exit(0);
});
