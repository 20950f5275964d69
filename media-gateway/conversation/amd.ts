import type { Logger } from 'pino';
import { isCallOver, type CallStatus } from '../../workflows/call/contract';
import { CallGoneError, type CallWorkflowPort } from '../signals/port';

/**
 * Answering-machine detection as the gateway sees it, for `leave_message` calls only.
 *
 * Twilio's async AMD in mode DetectMessageEnd answers once, on the call's AMD callback, which the
 * API forwards to the call workflow: `human`, `unknown` (nobody decided: treated as a person, who
 * must not be left in silence), `fax`, or `machine_end_beep` / `machine_end_silence` /
 * `machine_end_other` when the machine's greeting is over and it records. `machine_start` (mode
 * Enable) is not a verdict for us: the greeting is still playing.
 */
export type AmdVerdict = 'undecided' | 'human' | 'machine' | 'fax';

export function amdVerdict(answeredBy: string | undefined): AmdVerdict {
  if (!answeredBy || answeredBy === 'machine_start') return 'undecided';
  if (answeredBy.startsWith('machine_end')) return 'machine';
  if (answeredBy === 'fax') return 'fax';
  return 'human'; // human, unknown, and anything Twilio adds later: speak rather than stay silent
}

export interface AmdWatchOptions {
  port: CallWorkflowPort;
  callId: string;
  log: Logger;
  pollMs: number;
  /** Stop asking after this long; `onVerdict('undecided', last answeredBy seen)` then. */
  capMs: number;
  /** Called once: a verdict, or `undecided` at the cap. */
  onVerdict(verdict: AmdVerdict, answeredBy: string | undefined): void;
  /** The call is over: its workflow is settling or done, or (`gone`) no longer exists. */
  onOver(why: string, gone: boolean): void;
}

/**
 * Polls the call workflow's `callAmd` query until AMD answers, the cap passes or `stop()`. One
 * query at a time (the next is scheduled after the previous answers), so a slow Temporal is not
 * piled on; a failed query is retried at the next tick until the cap.
 */
export class AmdWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly deadline: number;
  private last: string | undefined;
  /** Queries sent (tests, logs). */
  queries = 0;

  constructor(private readonly o: AmdWatchOptions) {
    this.deadline = performance.now() + o.capMs;
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule() {
    if (this.stopped) return;
    const left = this.deadline - performance.now();
    if (left <= 0) return this.settle('undecided', this.last);
    this.timer = setTimeout(() => void this.poll(), Math.min(this.o.pollMs, left));
  }

  private async poll() {
    if (this.stopped) return;
    this.queries++;
    let view: { status: CallStatus; answeredBy?: string };
    try {
      view = await this.o.port.amd(this.o.callId);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof CallGoneError) {
        this.stop();
        return this.o.onOver(err.message, true);
      }
      this.o.log.warn({ err: (err as Error).message }, 'AMD poll failed; retrying');
      return this.schedule();
    }
    if (this.stopped) return;
    if (isCallOver(view.status)) {
      this.stop();
      return this.o.onOver(`call is ${view.status}`, false);
    }
    this.last = view.answeredBy;
    const verdict = amdVerdict(view.answeredBy);
    if (verdict !== 'undecided') return this.settle(verdict, view.answeredBy);
    this.schedule();
  }

  private settle(verdict: AmdVerdict, answeredBy: string | undefined) {
    this.stop();
    this.o.log.info({ verdict, answeredBy, queries: this.queries }, 'AMD verdict');
    this.o.onVerdict(verdict, answeredBy);
  }
}
