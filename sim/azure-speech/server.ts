import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createListener, defaultSimSpeech, type SimSpeech, type SpeechListener } from '../audio';
import { SIM_CREDENTIALS } from '../../providers/sim-credentials';
import { parseMessage, riffFormat, riffHeaderLength, textMessage } from './protocol';

/**
 * Azure Speech simulator: the Speech SDK's WebSocket protocol on loopback, enough for continuous
 * recognition from a µ-law push stream. It decodes the audio with the speech codec (sim/audio) and
 * answers with `turn.start`, `speech.startDetected`, `speech.hypothesis` per word, `speech.phrase`
 * per utterance (segmentation silence from speech.context, or the query, or the default), and
 * `speech.endDetected` + `turn.end` when the client ends the audio. Offsets and durations are
 * 100-ns ticks from the start of the turn's audio, as Azure reports them.
 */

export const SPEECH_PATH = '/speech/recognition/conversation/cognitiveservices/v1';

export interface AzureSpeechSimOptions {
  port?: number;
  key?: string;
  /** Silence ending a phrase when the client does not configure one (Azure's default is ~500 ms). */
  defaultSegmentationSilenceMs?: number;
  /** Processing delay between detecting the end of a phrase and sending it. */
  finalLatencyMs?: number;
  /** Two-tone code or espeak-ng speech (sim/audio/mode.ts); default SIM_SPEECH, else tones. */
  speech?: SimSpeech;
}

export interface AzureSpeechSession {
  language: string | undefined;
  segmentationSilenceMs: number;
  audioBytes: number;
  /** `audio` messages received that carried audio (not the WAVE header alone, not the end-of-stream marker). */
  audioMessages: number;
  /** Partial hypotheses sent, in order. */
  hypotheses: string[];
  phrases: string[];
  closed: boolean;
}

export interface AzureSpeechSim {
  url: string;
  /** Endpoint for `SpeechConfig.fromEndpoint` (`AZURE_SPEECH_ENDPOINT`). */
  endpoint: string;
  key: string;
  env(): Record<string, string>;
  sessions: AzureSpeechSession[];
  /** WebSocket upgrade requests received, accepted or not. */
  readonly connectionAttempts: number;
  /** Close every open connection abruptly (TCP reset: the client sees 1006). */
  dropConnections(): void;
  /** While true, upgrades are answered 503. */
  refuseConnections(on: boolean): void;
  /** While true, every key is rejected with 401. */
  failAuth(on: boolean): void;
  close(): Promise<void>;
}

const TICKS_PER_MS = 10_000;

function segmentationFromContext(ctx: unknown): number | undefined {
  const pd = (ctx as { phraseDetection?: Record<string, { segmentation?: { segmentationSilenceTimeoutMs?: unknown } }> })
    ?.phraseDetection;
  for (const mode of ['conversation', 'interactive', 'dictation']) {
    const v = pd?.[mode]?.segmentation?.segmentationSilenceTimeoutMs;
    if (typeof v === 'number' && v > 0) return v;
  }
  return undefined;
}

export async function startAzureSpeechSim(opts: AzureSpeechSimOptions = {}): Promise<AzureSpeechSim> {
  const key = opts.key ?? SIM_CREDENTIALS.azureSpeechKey;
  const sessions: AzureSpeechSession[] = [];
  const sockets = new Set<WebSocket>();
  let refuse = false;
  let authFails = false;
  let attempts = 0;

  const server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    attempts++;
    const u = new URL(req.url ?? '/', 'http://localhost');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (refuse) return reject(503, 'Service Unavailable');
    if (u.pathname !== SPEECH_PATH) return reject(404, 'Not Found');
    const given = u.searchParams.get('Ocp-Apim-Subscription-Key') ?? req.headers['ocp-apim-subscription-key'];
    if (authFails || given !== key) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, u));
  });

  function serve(ws: WebSocket, u: URL) {
    sockets.add(ws);
    const querySilence = Number(u.searchParams.get('segmentationSilenceTimeoutMs')) || undefined;
    const session: AzureSpeechSession = {
      language: u.searchParams.get('language') ?? undefined,
      segmentationSilenceMs: querySilence ?? opts.defaultSegmentationSilenceMs ?? 500,
      audioBytes: 0,
      audioMessages: 0,
      phrases: [],
      hypotheses: [],
      closed: false,
    };
    sessions.push(session);
    let turn: { requestId: string; decoder: SpeechListener; headerPending: boolean; pending: Promise<void> } | undefined;
    const send = (path: string, requestId: string, body: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(textMessage(path, requestId, body));
    };
    const latency = opts.finalLatencyMs ?? 50;

    ws.on('close', () => {
      session.closed = true;
      sockets.delete(ws);
    });
    ws.on('message', (data: Buffer, isBinary) => {
      let msg;
      try {
        msg = parseMessage(data, isBinary);
      } catch (err) {
        return ws.close(1007, (err as Error).message.slice(0, 100));
      }
      if (msg.path === 'speech.context') {
        try {
          const silence = segmentationFromContext(JSON.parse(msg.body.toString('utf8')));
          if (silence) session.segmentationSilenceMs = silence;
        } catch {
          return ws.close(1007, 'speech.context is not JSON');
        }
        return;
      }
      if (msg.path !== 'audio') return; // speech.config, telemetry: accepted, not needed
      if (!turn || turn.requestId !== msg.requestId) {
        turn = {
          requestId: msg.requestId,
          decoder: createListener(opts.speech ?? defaultSimSpeech(), { endSilenceMs: session.segmentationSilenceMs }),
          headerPending: true,
          pending: Promise.resolve(),
        };
        send('turn.start', msg.requestId, { context: { serviceTag: `sim-${sessions.length}` } });
      }
      const t = turn;
      let audio = msg.body;
      if (t.headerPending && audio.length > 0) {
        t.headerPending = false;
        const hl = riffHeaderLength(audio);
        if (hl > 0) {
          const fmt = riffFormat(audio);
          // µ-law is WAVE format tag 7; anything else would be decoded as noise.
          if (fmt && (fmt.formatTag !== 7 || fmt.sampleRate !== 8000))
            return ws.close(1007, 'simulator expects mu-law 8 kHz audio');
          audio = audio.subarray(hl);
        }
      }
      const endOfAudio = msg.body.length === 0;
      session.audioBytes += audio.length;
      if (audio.length > 0) session.audioMessages++;
      const events = [...t.decoder.feed(audio), ...(endOfAudio ? t.decoder.flush() : [])];
      for (const ev of events) {
        const offset = ev.offsetMs * TICKS_PER_MS;
        if (ev.type === 'speechStart') send('speech.startDetected', t.requestId, { Offset: offset });
        else if (ev.type === 'partial') {
          session.hypotheses.push(ev.text);
          send('speech.hypothesis', t.requestId, { Text: ev.text, Offset: offset, Duration: ev.durationMs * TICKS_PER_MS });
        } else {
          const body =
            ev.type === 'final'
              ? { RecognitionStatus: 'Success', DisplayText: ev.text, Offset: offset, Duration: ev.durationMs * TICKS_PER_MS }
              : { RecognitionStatus: 'NoMatch', Offset: offset, Duration: ev.durationMs * TICKS_PER_MS };
          if (ev.type === 'final') session.phrases.push(ev.text);
          // Due `latency` after the segmentation silence passed, counted from the end of speech.
          const wait = t.decoder.waitFor(ev, latency);
          // Phrases leave in order.
          t.pending = t.pending
            .then(() => new Promise((r) => setTimeout(r, wait)))
            .then(() => send('speech.phrase', t.requestId, body));
        }
      }
      if (endOfAudio) {
        const end = t.decoder.positionMs * TICKS_PER_MS;
        t.pending = t.pending.then(() => {
          send('speech.endDetected', t.requestId, { Offset: end });
          send('turn.end', t.requestId, {});
        });
        turn = undefined;
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoint = `${url}${SPEECH_PATH}`;
  return {
    url,
    endpoint,
    key,
    env: () => ({ AZURE_SPEECH_ENDPOINT: endpoint }),
    sessions,
    get connectionAttempts() {
      return attempts;
    },
    dropConnections() {
      for (const ws of sockets) ws.terminate();
    },
    refuseConnections(on) {
      refuse = on;
    },
    failAuth(on) {
      authFails = on;
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => {
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
