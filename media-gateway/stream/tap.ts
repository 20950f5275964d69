/**
 * What passes on a media stream, for observers that must see it as Twilio does (the call recorder,
 * media-gateway/recording/). Called synchronously on the audio path: an implementation only copies
 * and returns, never waits.
 */
export interface MediaTap {
  /** A caller (inbound track) frame, as received. */
  caller(frame: Buffer): void;
  /** Agent audio sent to Twilio, followed by the mark `mark`. */
  agent(audio: Buffer, mark: string): void;
  /** Twilio echoed `mark` before any `clear`: the audio before it was played. */
  confirmed(mark: string): void;
  /** A `clear` was sent: Twilio drops the audio whose marks are pending. */
  cleared(): void;
}
