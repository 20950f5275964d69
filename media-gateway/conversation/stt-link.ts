import type { Logger } from 'pino';
import type { SpeechToText, SttSession } from '../../providers/types';
import { recordProviderError } from '../../lib/metrics';
import { AudioTail } from './audio-tail';
import { sttCanWait } from './stt-pacing';
import type { UsageMeter } from './usage';

/**
 * The call's link to speech-to-text: one STT session at a time, replaced when it fails.
 *
 * - Caller audio is paced (stt-pacing.ts) and buffered while a session connects (at most 5 s).
 * - The caller's speech since the last final (from 300 ms before the voice, at most 10 s) is kept
 *   and replayed into a replacement session, so a connection lost mid-sentence loses no words.
 *   Replayed audio is sent, and billed, again, as Azure bills it.
 * - Stall watchdog: `stallVoiceMs` of the caller's voice went out and the service answered
 *   nothing at all (no speech start, partial, final or no-match). A session can get there without
 *   any error (a connection that died in its handshake and that the SDK re-opened lazily, or a
 *   service that stopped answering), and the caller would talk to nobody until the silence
 *   timeout. It is replaced like a failed one, at most twice a call: a noisy line our voice
 *   detector hears as voice and the service rightly ignores looks the same, and must not end
 *   the call.
 * - A replacement that fails with an error before its service has answered anything means the
 *   service is down, not a blip: `onFatal`. So does a fifth failure in one call.
 */

export interface SttLinkOptions {
  stt: SpeechToText;
  usage: UsageMeter;
  log: Logger;
  language: string;
  segmentationSilenceMs: number;
  /** Caller voice (ms of voiced frames) with no answer at all from the service before the session is replaced. */
  stallVoiceMs: number;
  onPartial(text: string): void;
  onFinal(text: string): void;
  onFatal(err: Error): void;
}

/** What the session knows about this frame and the conversation, for pacing and the watchdog. */
export interface FrameContext {
  now: number;
  voiced: boolean;
  lastVoiceAt: number;
  /** A reply is in flight: the caller's speech may interrupt it. */
  agentBusy: boolean;
}

const FRAME_MS = 20;
const FRAME_BYTES = 8 * FRAME_MS;
const MAX_PENDING_BYTES = 8 * 5_000;
const MAX_REPLAY_BYTES = 8 * 10_000;
const PRE_ROLL_BYTES = 8 * 300; // before the voice: the service hears the speech start
const MAX_FAILURES = 4;
const MAX_STALLS = 2;

export class SttLink {
  private session: SttSession | undefined;
  private connecting = false;
  private closed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Silence since the last final (the last 300 ms), and the caller's speech once it starts. */
  private readonly speech = new AudioTail(MAX_REPLAY_BYTES);
  private inSpeech = false;
  private voicedMsUnanswered = 0;
  private answeredThisSession = false;
  private failures = 0;
  private stalls = 0;
  private sessions = 0;
  private lastFinalAt = -Infinity;

  constructor(private readonly o: SttLinkOptions) {}

  start(): void {
    void this.connect();
  }

  write(ulaw: Buffer, f: FrameContext): void {
    if (this.closed) return;
    this.keepSpeech(ulaw, f.voiced);
    const s = this.session;
    if (!s) {
      if (this.pendingBytes < MAX_PENDING_BYTES) {
        this.pending.push(ulaw);
        this.pendingBytes += ulaw.length;
      }
      return;
    }
    if (f.voiced) this.voicedMsUnanswered += FRAME_MS;
    if (this.voicedMsUnanswered >= this.o.stallVoiceMs && this.stalls < MAX_STALLS) {
      this.stalls++;
      const err = Object.assign(new Error(`Azure STT answered nothing to ${this.voicedMsUnanswered} ms of caller speech`), {
        code: 'Stalled',
      });
      return this.replace(s, err, true);
    }
    const canWait = sttCanWait({
      voiced: f.voiced,
      sinceVoiceMs: f.now - f.lastVoiceAt,
      finalSinceVoice: this.lastFinalAt > f.lastVoiceAt,
      agentBusy: f.agentBusy,
      segmentationSilenceMs: this.o.segmentationSilenceMs,
    });
    s.write(ulaw, canWait);
  }

  /** Closes the current session; its audio is then final in the usage meter. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (s) await s.close().catch(() => {});
    this.o.usage.retireStt();
  }

  private keepSpeech(ulaw: Buffer, voiced: boolean) {
    if (!this.inSpeech && voiced) this.inSpeech = true;
    this.speech.push(ulaw, this.inSpeech ? MAX_REPLAY_BYTES : PRE_ROLL_BYTES);
  }

  private answered(final: boolean) {
    this.answeredThisSession = true;
    this.voicedMsUnanswered = 0;
    if (final) {
      this.lastFinalAt = performance.now();
      // Everything up to a final has been recognised: a replacement would only say it twice.
      this.inSpeech = false;
      this.speech.clear();
    }
  }

  private async connect() {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    let s: SttSession;
    try {
      s = await this.o.stt.start({ language: this.o.language, segmentationSilenceMs: this.o.segmentationSilenceMs });
    } catch (err) {
      this.connecting = false;
      return this.failed(err as Error, false);
    }
    this.connecting = false;
    if (this.closed) {
      void s.close();
      return;
    }
    this.o.usage.useStt(s);
    this.sessions++;
    this.answeredThisSession = false;
    this.voicedMsUnanswered = 0;
    s.on('activity', () => {
      if (this.session === s) this.answered(false);
    });
    s.on('partial', (text) => {
      if (this.session !== s) return;
      this.answered(false);
      this.o.onPartial(text);
    });
    s.on('final', (text) => {
      if (this.session !== s) return;
      this.answered(true);
      this.o.onFinal(text);
    });
    s.on('error', (err) => this.replace(s, err, false));
    this.session = s;
    // A replacement first gets the speech its predecessor left unrecognised (which includes what
    // arrived since); otherwise what arrived while connecting. In few messages: the next live
    // frame decides whether anything waits.
    if (this.sessions > 1 && this.inSpeech) {
      const replay = this.speech.copy();
      for (let i = 0; i < replay.length; i += FRAME_BYTES) s.write(replay.subarray(i, i + FRAME_BYTES), true);
    } else for (const b of this.pending) s.write(b, true);
    this.pending = [];
    this.pendingBytes = 0;
  }

  private replace(s: SttSession, err: Error, stalled: boolean) {
    if (this.closed || this.session !== s) return;
    this.session = undefined;
    this.o.usage.retireStt();
    void s.close();
    if (stalled) {
      recordProviderError('azure', 'Stalled');
      this.o.log.warn({ err: err.message }, 'STT stalled; replacing the session');
      void this.connect();
      return;
    }
    this.failed(err, this.answeredThisSession);
  }

  private failed(err: Error, sessionHadAnswered: boolean) {
    if (this.closed) return;
    const code = (err as { code?: string }).code;
    recordProviderError('azure', code);
    this.failures++;
    // The first session may fail before answering (a blip at connect); a replacement that does is
    // a service that is down.
    if ((this.failures > 1 && !sessionHadAnswered) || this.failures > MAX_FAILURES) {
      this.o.log.error({ err: err.message, code, failures: this.failures }, 'STT failed again; giving up');
      this.closed = true;
      this.o.onFatal(err);
      return;
    }
    this.o.log.warn({ err: err.message, code }, 'STT failed; replacing the session');
    // Audio from here on waits in `pending` (and in `speech`, for the replay). `pending` is empty
    // after a session that ran, and after a connect that failed it keeps what came meanwhile.
    void this.connect();
  }
}
