/**
 * Energy voice-activity detector on the caller's µ-law frames. It only has to answer "is the
 * caller making sound right now" (barge-in needs it together with a partial transcript; the
 * silence timer needs it); what was said is the STT's job.
 */
const DECODE = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const mag = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  DECODE[i] = sign ? -mag : mag;
}

export class VoiceActivity {
  /** performance.now() of the last frame judged to be voice, or -Infinity. */
  lastVoiceAt = -Infinity;
  private readonly threshold: number;

  /** `thresholdRms`: linear 16-bit RMS above which a frame is voice (telephone line noise sits far below 300). */
  constructor(thresholdRms = 300) {
    this.threshold = thresholdRms * thresholdRms;
  }

  /** Judges one frame; returns true when it is voice. */
  feed(ulaw: Uint8Array, now: number): boolean {
    let sum = 0;
    for (let i = 0; i < ulaw.length; i++) {
      const s = DECODE[ulaw[i]!]!;
      sum += s * s;
    }
    const voiced = ulaw.length > 0 && sum / ulaw.length > this.threshold;
    if (voiced) this.lastVoiceAt = now;
    return voiced;
  }

  voicedWithin(ms: number, now: number): boolean {
    return now - this.lastVoiceAt <= ms;
  }
}
