/**
 * The retry plan of one delivery: which attempt comes next and how long to wait before it. A plain
 * class (no Temporal import) so the schedule is unit-tested directly; the workflow only asks it.
 */
export class DeliveryPlan {
  private attempt = 0;

  constructor(private readonly delaysMs: readonly number[]) {
    if (delaysMs.some((d) => !Number.isFinite(d) || d < 0)) throw new RangeError('retry delays must be non-negative numbers');
  }

  /** Starts the next attempt; returns its number (1-based). */
  begin(): number {
    return ++this.attempt;
  }

  /** The wait after the current attempt fails, or undefined when it was the last one. */
  get delayAfterFailure(): number | undefined {
    return this.delaysMs[this.attempt - 1];
  }

  get maxAttempts(): number {
    return this.delaysMs.length + 1;
  }

  /** The whole span from the first attempt to the last (the sum of the waits). */
  get spanMs(): number {
    return this.delaysMs.reduce((a, b) => a + b, 0);
  }
}
