import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { SIM_CREDENTIALS } from '../../providers/sim-credentials';
import { defaultSimSpeech, speakText, ulawSilence, type SimSpeech } from '../audio';

/**
 * ElevenLabs simulator: the streaming TTS WebSocket
 * `/v1/text-to-speech/{voice_id}/stream-input?model_id=…&output_format=ulaw_8000`.
 * Protocol as documented: the first message carries `text: " "`, `voice_settings`,
 * `generation_config.chunk_length_schedule` and optionally `xi_api_key` (else the `xi-api-key`
 * header); text messages are buffered and synthesised when the buffer reaches the schedule's next
 * length (cut at a word boundary), on `flush: true`, or on the closing `text: ""`; responses are
 * `{audio: base64, isFinal: false, normalizedAlignment}` and a last `{isFinal: true}`.
 * The audio is the speech codec (sim/audio), so it decodes back to the text.
 */

export interface ElevenLabsSimOptions {
  port?: number;
  apiKey?: string;
  /** Delay from a stream's first text to its first audio (eleven_flash_v2_5 ~75 ms, turbo ~300 ms). */
  firstByteMs?: number;
  /** Audio bytes per message (default 3200 = 400 ms of µ-law). */
  chunkBytes?: number;
  /** Two-tone code or espeak-ng speech (sim/audio/mode.ts); default SIM_SPEECH, else tones. */
  speech?: SimSpeech;
}

export interface ElevenLabsStreamRecord {
  voiceId: string;
  modelId: string | null;
  outputFormat: string | null;
  /** Characters received (billing: ElevenLabs charges per character). */
  characters: number;
  text: string;
  closedBy: 'client' | 'server' | 'fault' | null;
}

export interface ElevenLabsSim {
  url: string;
  apiKey: string;
  env(): Record<string, string>;
  streams: ElevenLabsStreamRecord[];
  /** The next stream is closed (1011) after sending this many audio messages. */
  closeNextAfter(audioMessages: number): void;
  /** While true, every key is rejected. */
  failAuth(on: boolean): void;
  close(): Promise<void>;
}

const DEFAULT_SCHEDULE = [120, 160, 250, 290];
const PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream-input$/;

export async function startElevenLabsSim(opts: ElevenLabsSimOptions = {}): Promise<ElevenLabsSim> {
  const apiKey = opts.apiKey ?? SIM_CREDENTIALS.elevenlabsApiKey;
  const speech = opts.speech ?? defaultSimSpeech();
  const streams: ElevenLabsStreamRecord[] = [];
  const sockets = new Set<WebSocket>();
  const closeAfter: number[] = [];
  let authFails = false;

  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const m = PATH.exec(u.pathname);
    if (!m) return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req, u, decodeURIComponent(m[1]!)));
  });

  function serve(ws: WebSocket, req: IncomingMessage, u: URL, voiceId: string) {
    sockets.add(ws);
    const rec: ElevenLabsStreamRecord = {
      voiceId,
      modelId: u.searchParams.get('model_id'),
      outputFormat: u.searchParams.get('output_format'),
      characters: 0,
      text: '',
      closedBy: null,
    };
    streams.push(rec);
    const cutAfter = closeAfter.shift();
    let initialised = false;
    let schedule = DEFAULT_SCHEDULE;
    let generations = 0;
    let buffer = '';
    let audioSent = 0;
    let prevEndedSentence: boolean | undefined;
    // Time to first byte counts from the first text to synthesise, as ElevenLabs measures it: an
    // idle connection opened ahead of time does not get its latency for free.
    let queue = Promise.resolve();
    let firstGeneration = true;
    const fail = (code: number, message: string, error: string) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(JSON.stringify({ message, error, code }));
      ws.close(code, message.slice(0, 100));
    };
    if (rec.outputFormat !== 'ulaw_8000') return fail(1008, 'The simulator only produces ulaw_8000', 'invalid_output_format');

    const synthesise = (text: string, final: boolean) => {
      const t = text.trim();
      if (firstGeneration && t) {
        firstGeneration = false;
        const ms = opts.firstByteMs ?? 0;
        queue = queue.then(() => new Promise<void>((r) => setTimeout(r, ms)));
      }
      queue = queue.then(async () => {
        if (ws.readyState !== ws.OPEN || rec.closedBy) return;
        if (t) {
          const spoken = await speakText(speech, t);
          if (ws.readyState !== ws.OPEN || rec.closedBy) return;
          // Pause between generations as a speaker would between words or sentences.
          const lead = prevEndedSentence === undefined ? Buffer.alloc(0) : ulawSilence(prevEndedSentence ? 270 : 120);
          prevEndedSentence = /[.?!]$/.test(t);
          const audio = Buffer.concat([lead, spoken.audio]);
          const chunk = opts.chunkBytes ?? 3200;
          const chars = spoken.chars;
          for (let i = 0; i < audio.length; i += chunk) {
            if (cutAfter !== undefined && audioSent >= cutAfter) {
              rec.closedBy = 'fault';
              ws.close(1011, 'Simulated failure mid-utterance');
              return;
            }
            const alignment =
              i === 0
                ? {
                    chars,
                    charStartTimesMs: spoken.charStartMs.map((ms) => Math.round(lead.length / 8 + ms)),
                    charDurationsMs: spoken.charDurationMs,
                  }
                : null;
            ws.send(
              JSON.stringify({
                audio: audio.subarray(i, i + chunk).toString('base64'),
                isFinal: false,
                normalizedAlignment: alignment,
                alignment,
              }),
            );
            audioSent++;
          }
        }
        if (final) {
          ws.send(JSON.stringify({ isFinal: true }));
          rec.closedBy = 'client';
          ws.close(1000);
        }
      });
    };

    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data: Buffer) => {
      let msg: { text?: unknown; xi_api_key?: unknown; flush?: unknown; generation_config?: { chunk_length_schedule?: unknown } };
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return fail(1008, 'Invalid JSON', 'invalid_message');
      }
      if (typeof msg.text !== 'string') return fail(1008, 'text is required', 'invalid_message');
      if (!initialised) {
        initialised = true;
        const key = typeof msg.xi_api_key === 'string' ? msg.xi_api_key : req.headers['xi-api-key'];
        if (authFails || key !== apiKey) return fail(1008, 'Invalid API key', 'invalid_api_key');
        const s = msg.generation_config?.chunk_length_schedule;
        if (Array.isArray(s) && s.length && s.every((n) => typeof n === 'number' && n >= 5)) schedule = s as number[];
        if (msg.text.trim() !== '') buffer += msg.text;
        return;
      }
      if (msg.text === '') {
        synthesise(buffer, true);
        buffer = '';
        return;
      }
      rec.characters += Array.from(msg.text).length;
      rec.text += msg.text;
      buffer += msg.text;
      if (msg.flush === true) {
        synthesise(buffer, false);
        buffer = '';
        return;
      }
      // Generate when the buffer reaches the schedule's next length, cut after the last whole word.
      const threshold = schedule[Math.min(generations, schedule.length - 1)]!;
      if (buffer.length >= threshold) {
        const cut = buffer.search(/\s\S*$/);
        if (cut > 0) {
          synthesise(buffer.slice(0, cut), false);
          buffer = buffer.slice(cut + 1);
          generations++;
        }
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiKey,
    env: () => ({ ELEVENLABS_BASE_URL: url.replace(/^ws/, 'http') }),
    streams,
    closeNextAfter(n) {
      closeAfter.push(n);
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
