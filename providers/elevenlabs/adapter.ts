import WebSocket from 'ws';
import type { TextToSpeech, TtsOptions, TtsStream } from '../types';

/**
 * TextToSpeech on ElevenLabs' streaming WebSocket (`stream-input`), one connection per agent
 * utterance, output `ulaw_8000` so audio goes to Twilio untouched.
 *
 * The gateway already cuts the LLM's text at sentence/clause boundaries, so each `sendText` is a
 * natural synthesis unit: it is sent with a trailing space (ElevenLabs expects words to end with
 * one) and `flush: true`, which starts generation at once instead of waiting for the
 * chunk-length schedule — lowest time to first audio. `end()` sends the closing empty text.
 * Characters are counted as sent (ElevenLabs bills per character). Aborting (barge-in) closes
 * the socket and ends `audio` quietly; a close before `isFinal` otherwise throws `TtsError` from
 * the `audio` iterator.
 */

export interface ElevenLabsOptions {
  apiKey: string;
  /** https://api.elevenlabs.io, or the simulator's http:// URL. */
  baseUrl: string;
  defaultModel?: string;
  voiceSettings?: { stability: number; similarity_boost: number; style?: number; use_speaker_boost?: boolean; speed?: number };
  /** Used only when flushEachText is false. */
  chunkLengthSchedule?: number[];
  flushEachText?: boolean;
  connectTimeoutMs?: number;
}

export class TtsError extends Error {
  override name = 'TtsError';
  constructor(
    message: string,
    readonly code: 'auth' | 'closed' | 'connect' | 'vendor',
  ) {
    super(message);
  }
}

class ElevenLabsStream implements TtsStream {
  private chars = 0;
  private ended = false;
  private done = false;
  private failure: TtsError | undefined;
  private readonly chunks: Buffer[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly flush: boolean,
    signal: AbortSignal | undefined,
  ) {
    ws.on('message', (data: Buffer) => {
      let msg: { audio?: string | null; isFinal?: boolean | null; error?: string; message?: string };
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      if (msg.audio) this.chunks.push(Buffer.from(msg.audio, 'base64'));
      if (msg.error)
        this.finish(new TtsError(`ElevenLabs: ${msg.message ?? msg.error}`, msg.error === 'invalid_api_key' ? 'auth' : 'vendor'));
      else if (msg.isFinal) this.finish();
      this.notify();
    });
    ws.on('close', (code, reason) => {
      if (!this.done)
        this.finish(
          new TtsError(
            `ElevenLabs stream closed before the end of the utterance (${code} ${reason.toString()})`,
            code === 1008 ? 'auth' : 'closed',
          ),
        );
    });
    ws.on('error', () => {
      /* followed by close */
    });
    signal?.addEventListener(
      'abort',
      () => {
        // Barge-in: audio not yet taken is dropped, nothing more is yielded.
        this.chunks.length = 0;
        this.finish();
        ws.terminate();
      },
      { once: true },
    );
    if (signal?.aborted) {
      this.finish();
      ws.terminate();
    }
  }

  get characters(): number {
    return this.chars;
  }

  private finish(err?: TtsError) {
    if (this.done) return;
    this.done = true;
    this.failure = err;
    this.notify();
  }

  private notify() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  sendText(text: string): void {
    if (this.ended || this.done || text === '') return;
    this.chars += Array.from(text).length;
    const t = /\s$/.test(text) ? text : `${text} `;
    this.ws.send(JSON.stringify(this.flush ? { text: t, flush: true } : { text: t }));
  }

  end(): void {
    if (this.ended || this.done) return;
    this.ended = true;
    this.ws.send(JSON.stringify({ text: '' }));
  }

  get audio(): AsyncIterable<Buffer> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Buffer>> => {
          for (;;) {
            const c = this.chunks.shift();
            if (c) return { value: c, done: false };
            if (this.done) {
              if (this.failure) {
                const f = this.failure;
                this.failure = undefined;
                throw f;
              }
              return { value: undefined, done: true };
            }
            await new Promise<void>((r) => (this.wake = r));
          }
        },
        return: async (): Promise<IteratorResult<Buffer>> => {
          this.finish();
          if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
          return { value: undefined, done: true };
        },
      }),
    };
  }
}

export class ElevenLabsTextToSpeech implements TextToSpeech {
  constructor(private readonly opts: ElevenLabsOptions) {}

  async open(o: TtsOptions): Promise<TtsStream> {
    const base = this.opts.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '');
    const q = new URLSearchParams({
      model_id: o.model ?? this.opts.defaultModel ?? 'eleven_flash_v2_5',
      output_format: 'ulaw_8000',
    });
    const ws = new WebSocket(`${base}/v1/text-to-speech/${encodeURIComponent(o.voiceId)}/stream-input?${q}`, {
      headers: { 'xi-api-key': this.opts.apiKey },
      handshakeTimeout: this.opts.connectTimeoutMs ?? 5_000,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(
          new TtsError(
            `ElevenLabs refused the stream: HTTP ${res.statusCode}`,
            res.statusCode === 401 || res.statusCode === 403 ? 'auth' : 'connect',
          ),
        );
      });
      ws.once('error', (e) => reject(new TtsError(`ElevenLabs connection failed: ${e.message}`, 'connect')));
    });
    const flush = this.opts.flushEachText ?? true;
    ws.send(
      JSON.stringify({
        text: ' ',
        voice_settings: this.opts.voiceSettings ?? { stability: 0.5, similarity_boost: 0.8 },
        generation_config: { chunk_length_schedule: this.opts.chunkLengthSchedule ?? [50, 120, 160, 250] },
      }),
    );
    return new ElevenLabsStream(ws, flush, o.signal);
  }
}
