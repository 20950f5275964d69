import type { Logger } from 'pino';
import type { AgentConfig, MediaEndReason } from '../../workflows/call/contract';
import type { AudioOut } from '../stream/outbound';
import type { SignalSender } from '../signals/sender';
import type { Listeners, Transition } from './events';
import type { SessionDeps } from './settings';
import type { MarkInfo } from './speaker';
import type { TurnLog } from './transcript';
import type { UsageMeter } from './usage';
import type { VoiceActivity } from './vad';

/** What the conversation (machine.ts) is given by its session: the call's shared parts. */

export interface EndOptions {
  silent?: boolean;
  closeReason?: string;
  closeCode?: number;
  socketGone?: boolean;
  keepSocket?: boolean;
}

export interface ConversationDeps {
  deps: SessionDeps;
  agent: AgentConfig;
  callId: string;
  callSid: string;
  log: Logger;
  signals: SignalSender;
  usage: UsageMeter;
  vad: VoiceActivity;
  out: AudioOut<MarkInfo>;
  turns: TurnLog;
  transitions: Listeners<Transition>;
  /** Ends the stream: final usage, mediaEnded, close (session.ts). It dispatches `stop` back here. */
  end(reason: MediaEndReason, detail: string | undefined, opts?: EndOptions): void;
}

/** Promises still running (model streams: an aborted one adds its estimated tokens as it unwinds). */
export class PendingRuns {
  private readonly runs = new Set<Promise<void>>();

  add(run: Promise<void>) {
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  async settled(capMs: number): Promise<void> {
    if (this.runs.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.runs]), new Promise((r) => (timer = setTimeout(r, capMs)))]);
    clearTimeout(timer);
  }
}
