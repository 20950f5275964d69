import { clearMessage, markMessage, mediaMessage } from './protocol';
import type { MediaTap } from './tap';

/** What the stream writes to: the WebSocket, or a test double. `batch` groups many sends in one write. */
export interface FrameSink {
  send(text: string): void;
  batch(fn: () => void): void;
  /** Sees the agent audio, marks and clears as they pass (the call recorder). */
  tap?: MediaTap;
}

export const FRAME_BYTES = 160; // 20 ms of µ-law 8 kHz
export const BYTES_PER_MS = 8;

/**
 * Audio to Twilio: 20 ms `media` frames, a `mark` after each chunk, `clear` on barge-in. Twilio
 * plays what it is sent from its own buffer and echoes a mark when the audio before it has played,
 * so marks are the only truth about what the caller heard. After a `clear`, Twilio also echoes the
 * marks of the discarded audio: those are ignored — only marks confirmed before the clear count.
 */
export class AudioOut<T> {
  private readonly pending = new Map<string, T>();
  private seq = 0;
  private framesSent = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly streamSid: string,
  ) {}

  /** Sends `audio` as 20 ms frames (the last one shorter if the chunk is not a multiple) and a mark carrying `info`. */
  play(audio: Buffer, info: T): string {
    const name = `m${++this.seq}`;
    this.sink.batch(() => {
      for (let i = 0; i < audio.length; i += FRAME_BYTES) {
        this.sink.send(
          mediaMessage(this.streamSid, audio.subarray(i, Math.min(i + FRAME_BYTES, audio.length)).toString('base64')),
        );
        this.framesSent++;
      }
      this.sink.send(markMessage(this.streamSid, name));
    });
    this.pending.set(name, info);
    this.sink.tap?.agent(audio, name);
    return name;
  }

  /** Twilio echoed a mark: its info if it was pending (played), else undefined (unknown or cleared). */
  confirm(name: string): T | undefined {
    const info = this.pending.get(name);
    if (info === undefined) return undefined;
    this.pending.delete(name);
    this.sink.tap?.confirmed(name);
    return info;
  }

  /** Empties Twilio's buffer; the pending marks are forgotten (their echoes will be ignored). */
  clear(): void {
    this.sink.send(clearMessage(this.streamSid));
    this.pending.clear();
    this.sink.tap?.cleared();
  }

  get unconfirmed(): number {
    return this.pending.size;
  }

  get frames(): number {
    return this.framesSent;
  }
}
