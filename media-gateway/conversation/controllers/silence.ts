/**
 * Silence and re-prompt: after the agent's audio has *played* (not been sent), the caller has
 * `timeoutMs` to make a sound, a transcript or a key. The first timeout re-prompts, the second
 * says goodbye (conversation/machine.ts decides which from `prompts`). Any activity in between
 * resets the count: a caller who answered the re-prompt gets a fresh pair.
 */
export class SilenceController {
  private timer: NodeJS.Timeout | undefined;
  private idleSince = 0;
  private lastActivity = -Infinity;
  /** Timeouts since the caller's last activity. */
  prompts = 0;

  constructor(
    private readonly timeoutMs: number,
    /** The voice detector's last voiced frame: voice with no transcript yet still counts as the caller being there. */
    private readonly lastVoiceAt: () => number,
    private readonly onTimeout: () => void,
  ) {}

  /** The caller did something (voice, transcript, key). */
  activity(now = performance.now()) {
    this.lastActivity = now;
    this.prompts = 0;
  }

  /** The agent's audio has played: the caller's turn starts now. */
  arm(now = performance.now()) {
    this.cancel();
    this.idleSince = now;
    this.timer = setTimeout(() => this.check(), this.timeoutMs);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  private check() {
    this.timer = undefined;
    const now = performance.now();
    const last = Math.max(this.idleSince, this.lastActivity, this.lastVoiceAt());
    // Race: the caller made a sound after the timer was set; the wait restarts from that sound.
    if (now - last < this.timeoutMs) {
      this.timer = setTimeout(() => this.check(), this.timeoutMs - (now - last) + 5);
      return;
    }
    this.prompts++;
    this.onTimeout();
  }
}
