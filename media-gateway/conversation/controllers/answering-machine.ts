import type { Logger } from 'pino';
import type { CallAgentView } from '../../../workflows/call/contract';
import type { CallWorkflowPort } from '../../signals/port';
import { AmdWatch, amdVerdict, type AmdVerdict } from '../amd';

/**
 * Answering machines, for `leave_message` calls: whether the greeting waits, and the verdict that
 * ends the wait (conversation/amd.ts polls the workflow for it). A `hangup` call never waits: its
 * workflow hangs up on a machine itself, so its gateway greets at once and never polls.
 */
export function verdictAtStart(view: CallAgentView): AmdVerdict {
  return view.voicemailPolicy === 'leave_message' ? amdVerdict(view.answeredBy) : 'human';
}

export interface ScreeningOptions {
  port: CallWorkflowPort;
  callId: string;
  log: Logger;
  pollMs: number;
  capMs: number;
  onVerdict(verdict: Exclude<AmdVerdict, 'undecided'>, answeredBy: string | undefined): void;
  onOver(why: string, gone: boolean): void;
}

/** Polls until AMD decides. No verdict by the cap (a lost AMD callback): a machine already seen gets the message, anyone else the greeting, since a person must not be left in silence. */
export function screenForMachine(o: ScreeningOptions): AmdWatch {
  return new AmdWatch({
    port: o.port,
    callId: o.callId,
    log: o.log,
    pollMs: o.pollMs,
    capMs: o.capMs,
    onVerdict: (v, by) => o.onVerdict(v !== 'undecided' ? v : by === 'machine_start' ? 'machine' : 'human', by),
    onOver: o.onOver,
  });
}
