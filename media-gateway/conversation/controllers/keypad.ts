/**
 * DTMF: keys are gathered into one entry, sent as `[keypad] <digits>` once the caller stops
 * pressing (`debounceMs` after the last key) or presses `#`. One entry is one caller turn.
 */
export class KeypadController {
  private digits = '';
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the last key (the entry's end of "speech", for latency). */
  lastKeyAt = 0;

  constructor(
    private readonly debounceMs: number,
    private readonly onEntry: (digits: string) => void,
  ) {}

  press(digit: string, now = performance.now()) {
    this.lastKeyAt = now;
    this.digits += digit;
    clearTimeout(this.timer);
    if (digit === '#') this.flush();
    else this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  /** Drops a half-typed entry (a machine took the line, the call ends). */
  reset() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.digits = '';
  }

  private flush() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const digits = this.digits;
    this.digits = '';
    if (digits) this.onEntry(digits);
  }
}
