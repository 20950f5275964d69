import type { CallAgentView, MediaEndReason } from '../../workflows/call/contract';
import type { AmdVerdict } from './amd';
import type { Reply } from './reply';
import type { ToolDecision } from './tools';

/**
 * The conversation's state and the events that move it (design: Media gateway loop, the state
 * machine). Every input of a call — the caller, the vendors, the timers, the workflow — arrives as
 * one of these events at `Conversation.dispatch` (conversation/machine.ts), where the transitions
 * are written in one place.
 *
 * - `attaching`: the workflow has not said yet whether this stream carries the call (session.ts).
 * - `screening`: leave_message call, AMD undecided: the greeting is held; the caller is
 *   transcribed, not answered.
 * - `greeting`: the first message is playing (the caller may interrupt it).
 * - `listening`: the agent is quiet, waiting for the caller; the silence timer runs.
 * - `thinking`: a reply is being generated, no audio of it sent yet.
 * - `speaking`: a reply's audio is going out (an answer, a re-prompt, a goodbye the model chose).
 * - `leavingMessage`: the voicemail message plays to a machine; nothing interrupts it.
 * - `ending`: the last words (apology, opt-out confirmation) play; nothing the caller does changes
 *   that the call ends after them.
 * - `ended`: over; every later event is dropped.
 */
export type AgentState =
  'attaching' | 'screening' | 'greeting' | 'listening' | 'thinking' | 'speaking' | 'leavingMessage' | 'ending' | 'ended';

export type ConversationEvent =
  /** The workflow accepted this stream (attachMedia) and named the agent. */
  | { type: 'attached'; view: CallAgentView }
  /** Our voice detector: the caller's voice began, or stopped (no voice for SPEECH_GAP_MS). */
  | { type: 'speechStarted' }
  | { type: 'speechStopped' }
  /** STT transcripts (already cleaned). */
  | { type: 'partial'; text: string }
  | { type: 'final'; text: string }
  /** One key, and a whole keypad entry (after the debounce or `#`). */
  | { type: 'dtmf'; digit: string }
  | { type: 'keypad'; digits: string }
  /** Twilio echoed a mark of ours. */
  | { type: 'markConfirmed'; name: string }
  /** The model's first token for a reply, and each tool call it made, as validated (conversation/tools.ts). */
  | { type: 'modelToken'; reply: Reply }
  | { type: 'toolCall'; reply: Reply; decision: ToolDecision }
  /** A reply's first audio frame went to Twilio; and all of its audio was confirmed played. */
  | { type: 'ttsAudio'; reply: Reply }
  | { type: 'played'; reply: Reply }
  /** A reply failed (model or TTS), or STT gave up. */
  | { type: 'replyFailed'; reply: Reply; vendor: string; message: string }
  | { type: 'sttFailed'; message: string }
  /** The silence controller: the caller has been quiet for the agent's silence timeout. */
  | { type: 'silenceTimeout' }
  /** The AMD controller (leave_message calls): a verdict, or the cap's decision. */
  | { type: 'amd'; verdict: Exclude<AmdVerdict, 'undecided'>; answeredBy: string | undefined }
  /** Twilio took the call to the transfer number, or refused to. */
  | { type: 'transferred' }
  | { type: 'transferFailed'; message: string }
  /** The stream ends (stop, closed socket, error, shutdown, end of the conversation). */
  | { type: 'stop'; reason: MediaEndReason };

export interface Transition {
  event: ConversationEvent;
  from: AgentState;
  to: AgentState;
}

/** A small typed listener list: tests, metrics and the recorder watch transitions through it. */
export class Listeners<T> {
  private readonly fns: ((v: T) => void)[] = [];

  on(fn: (v: T) => void): () => void {
    this.fns.push(fn);
    return () => {
      const i = this.fns.indexOf(fn);
      if (i >= 0) this.fns.splice(i, 1);
    };
  }

  emit(v: T) {
    for (const fn of this.fns) fn(v);
  }

  get size(): number {
    return this.fns.length;
  }
}

/** Run to completion: an event pushed while one is handled waits until that one is done, in order. */
export class RunToCompletion<E> {
  private readonly queue: E[] = [];
  private running = false;

  constructor(private readonly handle: (e: E) => void) {}

  push(e: E) {
    this.queue.push(e);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.handle(next);
    } finally {
      this.running = false;
    }
  }
}
