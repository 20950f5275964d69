import type { Logger } from 'pino';
import type { SignalDefinition } from '@temporalio/common';
import { usageSignal } from '../../workflows/call/contract';
import { gatewaySignalFailures } from '../../lib/metrics';
import { CallGoneError, type CallWorkflowPort } from './port';

/**
 * One call's signals to its workflow, in order, off the audio path: `send` only enqueues. Each
 * signal is retried with back-off while Temporal is unreachable (up to `giveUpMs`); a usage
 * signal still queued is replaced by a newer one (usage is cumulative). When the workflow is gone
 * the queue stops and `onGone` fires once: the call is over and the stream should close.
 */
export interface SignalSenderOptions {
  log: Logger;
  onGone?: (err: CallGoneError) => void;
  giveUpMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

interface Item {
  def: SignalDefinition<[never]>;
  arg: unknown;
}

export class SignalSender {
  private readonly queue: Item[] = [];
  private running = false;
  private gone = false;
  private idle: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly port: CallWorkflowPort,
    private readonly callId: string,
    private readonly opts: SignalSenderOptions,
  ) {}

  send<T>(def: SignalDefinition<[T]>, arg: T): void {
    if (this.gone || this.stopped) return;
    if (def.name === usageSignal.name) {
      const i = this.queue.findIndex((q, k) => q.def.name === usageSignal.name && (k > 0 || !this.running));
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.queue.push({ def: def as SignalDefinition<[never]>, arg });
    if (!this.running) void this.drain();
  }

  /** Resolves when everything queued so far has been delivered or given up on (or after `timeoutMs`). */
  flushed(timeoutMs = 30_000): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idle.push(() => (clearTimeout(t), resolve()));
    });
  }

  /** Drops whatever is queued (process shutdown after the grace period). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  get isGone(): boolean {
    return this.gone;
  }

  private async drain() {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.gone) {
        const item = this.queue[0]!;
        await this.deliver(item);
        this.queue.shift();
      }
    } finally {
      this.running = false;
      if (this.gone) this.queue.length = 0;
      for (const r of this.idle.splice(0)) r();
    }
  }

  private async deliver(item: Item) {
    const started = Date.now();
    const giveUp = this.opts.giveUpMs ?? 120_000;
    let delay = this.opts.baseDelayMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.port.signal(this.callId, item.def, item.arg as never);
        return;
      } catch (err) {
        if (err instanceof CallGoneError) {
          this.gone = true;
          this.opts.log.info({ callId: this.callId, signal: item.def.name }, 'call workflow is gone; stopping signals');
          this.opts.onGone?.(err);
          return;
        }
        gatewaySignalFailures.inc({ signal: item.def.name });
        if (this.stopped || Date.now() - started > giveUp) {
          this.opts.log.error(
            { callId: this.callId, signal: item.def.name, attempts: attempt, err: (err as Error).message },
            'signal not delivered; giving up',
          );
          return;
        }
        if (attempt === 1)
          this.opts.log.warn(
            { callId: this.callId, signal: item.def.name, err: (err as Error).message },
            'signal failed; retrying',
          );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.opts.maxDelayMs ?? 5_000);
      }
    }
  }
}
