import { EventEmitter } from 'node:events';
import * as sdk from 'microsoft-cognitiveservices-speech-sdk';
import type { SpeechToText, SttEvents, SttOptions, SttSession } from '../types';

/**
 * SpeechToText on Azure Speech with the official SDK: continuous recognition from a push stream
 * declared as µ-law 8 kHz mono, so Twilio's frames go in untouched (no transcoding).
 *
 * Reconnect policy: the SDK itself re-opens a dropped WebSocket (up to its retry count) and
 * resends unacknowledged audio; this adapter adds no loop of its own. When the SDK gives up it
 * cancels the recognition, and the session emits `error` (an `SttError` with the SDK's error code)
 * and is finished: the gateway decides whether to start a new session or end the call. Audio is
 * metered as it is written (Azure bills audio sent, not audio recognised).
 */

export interface AzureSttOptions {
  key: string;
  /** Live: the Azure region. */
  region?: string;
  /** Simulator or private endpoint: a full ws(s):// recognition URL (`SpeechConfig.fromEndpoint`). */
  endpoint?: string;
  /** Used when a session does not set its own. */
  defaultSegmentationSilenceMs?: number;
  /**
   * The most audio a session gathers into one message when the writer says it can wait, ms
   * (default 200, what bench:gateway measured). 0 sends every write at once. Audio the writer needs
   * recognised soon always goes at once, after anything held (see SttSession.write).
   */
  maxHoldMs?: number;
}

export class SttError extends Error {
  override name = 'SttError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const ULAW_BYTES_PER_MS = 8;

/**
 * The push stream's chunker (ChunkedArrayBufferStream, internal to the SDK) cuts writes into fixed
 * chunks of avgBytesPerSec / 10 (`privTargetChunkSize`), and passes a write through untouched when
 * nothing is pending and it is exactly that size. Setting the size to each write's length makes
 * every write one message to the service, so this adapter decides what goes together. Checked at
 * run time: with another SDK version (no such field), the SDK's 100 ms chunking stays, which is
 * correct but delays the end of each caller turn by up to 100 ms.
 */
type Chunker = { privTargetChunkSize: number };
function chunkerOf(push: sdk.PushAudioInputStream): Chunker | undefined {
  const stream = (push as unknown as { privStream?: { privTargetChunkSize?: unknown } }).privStream;
  return stream && typeof stream.privTargetChunkSize === 'number' ? (stream as Chunker) : undefined;
}

class AzureSttSession extends EventEmitter implements SttSession {
  private bytes = 0;
  /** Audio held for the next message, copied in: the writer's frames are not kept (see AudioTail for why). */
  private hold: Buffer;
  private heldBytes = 0;
  private readonly chunker: Chunker | undefined;
  private closed = false;
  private failed = false;
  private pendingError: SttError | undefined;

  constructor(
    private readonly recognizer: sdk.SpeechRecognizer,
    private readonly push: sdk.PushAudioInputStream,
    private readonly maxHoldBytes: number,
  ) {
    super();
    // Room for the write that crosses the hold limit (a few 160-byte frames): it grows only for
    // writes larger than that, such as a caller's test double writing seconds at once.
    this.hold = Buffer.allocUnsafeSlow(maxHoldBytes + 640);
    this.chunker = chunkerOf(push);
    recognizer.recognizing = (_s, e) => {
      if (e.result.text) this.emit('partial', e.result.text);
    };
    recognizer.speechStartDetected = () => this.emit('activity');
    recognizer.recognized = (_s, e) => {
      if (e.result.reason !== sdk.ResultReason.RecognizedSpeech || !e.result.text) return void this.emit('activity');
      this.emit('final', e.result.text, {
        offsetMs: Math.round(e.result.offset / 10_000),
        durationMs: Math.round(e.result.duration / 10_000),
      });
    };
    recognizer.canceled = (_s, e) => {
      if (e.reason !== sdk.CancellationReason.Error) return;
      const code = sdk.CancellationErrorCode[e.errorCode] ?? String(e.errorCode);
      this.fail(new SttError(`Azure STT cancelled (${code}): ${e.errorDetails}`, code));
    };
    // A connection lost mid-call (close 1006) is not a cancellation: the SDK reconnects lazily and,
    // depending on where in a turn it was, may never deliver another result. A fresh session is
    // the one recovery we can vouch for, so a lost connection is an error for the caller to act on.
    sdk.Connection.fromRecognizer(recognizer).disconnected = () => {
      if (!this.closed) this.fail(new SttError('Azure STT connection lost', 'ConnectionLost'));
    };
  }

  private fail(err: SttError) {
    if (this.failed) return;
    this.failed = true;
    // The SDK can fail before start() has returned (e.g. a refused key): keep the error until
    // someone listens, rather than emitting an unhandled 'error' that would crash the process.
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.pendingError = err;
  }

  override on<E extends keyof SttEvents>(event: E, listener: SttEvents[E]): this {
    super.on(event, listener as (...args: unknown[]) => void);
    if (event === 'error' && this.pendingError) {
      const err = this.pendingError;
      this.pendingError = undefined;
      setImmediate(() => this.emit('error', err));
    }
    return this;
  }

  get audioMs(): number {
    return this.bytes / ULAW_BYTES_PER_MS;
  }

  write(ulaw: Buffer, canWait = false): void {
    if (this.closed || ulaw.length === 0) return;
    this.bytes += ulaw.length;
    if (this.heldBytes + ulaw.length > this.hold.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.hold.length, this.heldBytes + ulaw.length));
      this.hold.copy(bigger, 0, 0, this.heldBytes);
      this.hold = bigger;
    }
    this.hold.set(ulaw, this.heldBytes);
    this.heldBytes += ulaw.length;
    if (canWait && this.heldBytes < this.maxHoldBytes) return;
    this.flush();
  }

  private flush() {
    if (this.heldBytes === 0) return;
    // The SDK keeps the ArrayBuffer it is given: hand it a fresh one holding exactly these bytes.
    const chunk = new Uint8Array(this.heldBytes);
    this.hold.copy(chunk, 0, 0, this.heldBytes);
    this.heldBytes = 0;
    if (this.chunker) this.chunker.privTargetChunkSize = chunk.length;
    this.push.write(chunk.buffer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.push.close();
    // A dead connection must not stall call teardown: give the SDK a bounded time to finish.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3_000);
      this.recognizer.stopContinuousRecognitionAsync(
        () => (clearTimeout(t), resolve()),
        () => (clearTimeout(t), resolve()),
      );
    });
    this.recognizer.close();
  }
}

export class AzureSpeechToText implements SpeechToText {
  constructor(private readonly opts: AzureSttOptions) {
    if (!opts.endpoint && !opts.region) throw new Error('AzureSpeechToText needs an endpoint or a region');
  }

  async start(opts: SttOptions): Promise<SttSession> {
    const config = this.opts.endpoint
      ? sdk.SpeechConfig.fromEndpoint(new URL(this.opts.endpoint), this.opts.key)
      : sdk.SpeechConfig.fromSubscription(this.opts.key, this.opts.region!);
    config.speechRecognitionLanguage = opts.language;
    // After 5 s of audio the SDK paces its sends (one timer per chunk, meant for files read faster
    // than real time). Our audio arrives in real time already; under load those timers fire late and
    // the SDK falls behind for good, delaying every later turn. Live audio is never throttled.
    config.setProperty('SPEECH-TransmitLengthBeforThrottleMs', String(24 * 3600 * 1000));
    const silence = opts.segmentationSilenceMs ?? this.opts.defaultSegmentationSilenceMs;
    if (silence !== undefined) config.setProperty(sdk.PropertyId.Speech_SegmentationSilenceTimeoutMs, String(silence));
    const format = sdk.AudioStreamFormat.getWaveFormat(8000, 8, 1, sdk.AudioFormatTag.MuLaw);
    const push = sdk.AudioInputStream.createPushStream(format);
    const recognizer = new sdk.SpeechRecognizer(config, sdk.AudioConfig.fromStreamInput(push));
    const session = new AzureSttSession(recognizer, push, Math.round((this.opts.maxHoldMs ?? 200) * ULAW_BYTES_PER_MS));
    await new Promise<void>((resolve, reject) =>
      recognizer.startContinuousRecognitionAsync(resolve, (e) =>
        reject(new SttError(`Azure STT did not start: ${e}`, 'StartFailed')),
      ),
    );
    return session;
  }
}
