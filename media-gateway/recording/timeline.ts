import { ULAW_SILENCE } from '../../lib/recordings/wav';

/**
 * Where each byte of a call's two channels goes in time, before it is written. Plain state: no
 * timers, no I/O; the recorder feeds it and takes the interleaved bytes that are final.
 *
 * The clock is the caller channel: Twilio sends the caller's audio continuously (silence included),
 * one sample per byte, so the number of caller bytes received is the media time. Agent audio is
 * placed where Twilio will play it: at the end of what is already queued, or now if its buffer has
 * run dry. A chunk is only *kept* once the mark sent after it is echoed (it was played); a `clear`
 * drops every chunk whose mark is still pending, and so does the end of the stream — the right
 * channel holds what the caller heard, as the transcript and the bill count it (marks are the only
 * truth about playback). Where nobody spoke, both channels hold µ-law silence.
 *
 * Bytes before the earliest pending chunk are final (nothing can still land there) and are handed
 * out by takeReady(); the rest waits in a window that grows by doubling.
 */

interface Pending {
  mark: string;
  start: number;
  audio: Buffer;
}

export interface TimelineOptions {
  /** A chunk whose mark is still unconfirmed this long after it would have finished playing is given up (bytes). */
  maxPendingLag?: number;
}

export class RecordingTimeline {
  /** Absolute sample index of window[0]. */
  private base = 0;
  private left: Buffer;
  private right: Buffer;
  /** Caller samples received (absolute): now, in media time. */
  private callerAt = 0;
  /** Where the next agent chunk starts if Twilio's buffer has not run dry (absolute). */
  private queueEnd = 0;
  /** Furthest kept agent sample (absolute). */
  private agentEnd = 0;
  private readonly pending: Pending[] = [];
  private readonly maxPendingLag: number;
  /** Agent bytes dropped because their mark never came back in time (a stuck or lying peer). */
  droppedStale = 0;

  constructor(opts: TimelineOptions = {}) {
    this.left = Buffer.alloc(16_000, ULAW_SILENCE);
    this.right = Buffer.alloc(16_000, ULAW_SILENCE);
    this.maxPendingLag = opts.maxPendingLag ?? 8000 * 60;
  }

  /** Caller audio (µ-law), in arrival order. */
  caller(frame: Buffer): void {
    this.ensure(this.callerAt + frame.length);
    frame.copy(this.left, this.callerAt - this.base);
    this.callerAt += frame.length;
    this.expireStale();
  }

  /** Agent audio sent to Twilio, followed by `mark`. */
  agent(audio: Buffer, mark: string): void {
    const start = Math.max(this.callerAt, this.queueEnd);
    this.queueEnd = start + audio.length;
    // The bytes are copied: the sender may reuse its buffer.
    this.pending.push({ mark, start, audio: Buffer.from(audio) });
  }

  /** Twilio echoed `mark` for audio it played: that chunk and every one before it are kept. */
  confirmed(mark: string): boolean {
    const i = this.pending.findIndex((p) => p.mark === mark);
    if (i < 0) return false;
    for (const p of this.pending.splice(0, i + 1)) this.keep(p);
    return true;
  }

  /** Twilio's buffer was emptied: whatever was not confirmed was not heard. */
  cleared(): void {
    this.pending.length = 0;
    this.queueEnd = this.callerAt;
  }

  /** Media time so far, ms. */
  get durationMs(): number {
    return Math.floor(Math.max(this.callerAt, this.agentEnd) / 8);
  }

  /** Interleaved stereo bytes that can no longer change, or undefined when none are. */
  takeReady(): Buffer | undefined {
    const upTo = Math.min(this.callerAt, this.pending[0]?.start ?? Infinity);
    return this.take(upTo);
  }

  /** The rest, at the end of the stream: unconfirmed agent audio is dropped (it was not heard). */
  takeAll(): Buffer | undefined {
    this.pending.length = 0;
    return this.take(Math.max(this.callerAt, this.agentEnd));
  }

  private keep(p: Pending): void {
    this.ensure(p.start + p.audio.length);
    // A chunk placed before the window (given up as stale, then confirmed after all) keeps its tail.
    const skip = Math.max(0, this.base - p.start);
    if (skip < p.audio.length) p.audio.copy(this.right, p.start + skip - this.base, skip);
    this.agentEnd = Math.max(this.agentEnd, p.start + p.audio.length);
  }

  private expireStale(): void {
    while (this.pending.length && this.callerAt - (this.pending[0]!.start + this.pending[0]!.audio.length) > this.maxPendingLag) {
      this.droppedStale += this.pending.shift()!.audio.length;
    }
  }

  private take(upTo: number): Buffer | undefined {
    const n = upTo - this.base;
    if (n <= 0) return undefined;
    this.ensure(upTo);
    const out = Buffer.allocUnsafe(n * 2);
    for (let i = 0, o = 0; i < n; i++, o += 2) {
      out[o] = this.left[i]!;
      out[o + 1] = this.right[i]!;
    }
    // Shift the window: keep what is past `upTo`, refill the freed tail with silence.
    const rest = this.left.length - n;
    this.left.copy(this.left, 0, n);
    this.right.copy(this.right, 0, n);
    this.left.fill(ULAW_SILENCE, rest);
    this.right.fill(ULAW_SILENCE, rest);
    this.base = upTo;
    return out;
  }

  private ensure(absEnd: number): void {
    const need = absEnd - this.base;
    if (need <= this.left.length) return;
    let size = this.left.length;
    while (size < need) size *= 2;
    const grow = (b: Buffer) => {
      const g = Buffer.alloc(size, ULAW_SILENCE);
      b.copy(g);
      return g;
    };
    this.left = grow(this.left);
    this.right = grow(this.right);
  }
}
