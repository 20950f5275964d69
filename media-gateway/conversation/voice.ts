import type { Logger } from 'pino';
import type { AgentConfig } from '../../workflows/call/contract';
import type { TextToSpeech } from '../../providers/types';
import type { AudioOut } from '../stream/outbound';
import type { ConversationEvent } from './events';
import { Reply, type EndAfter } from './reply';
import { Speaker, type MarkInfo } from './speaker';
import type { TurnLog } from './transcript';
import { TtsWarmer } from './tts-warm';
import type { UsageMeter } from './usage';

export interface VoiceDeps {
  tts: TextToSpeech;
  agent: AgentConfig;
  out: AudioOut<MarkInfo>;
  usage: UsageMeter;
  log: Logger;
  turns: TurnLog;
  prewarm: boolean;
  /** Where the speaker's news goes: first frame, played, failed (conversation/machine.ts). */
  dispatch(ev: ConversationEvent): void;
}

/**
 * The agent's voice: makes the replies (a Speaker per utterance, wired to the call's audio out
 * and to the state machine's events) and keeps one TTS connection warm for the next one.
 */
export class AgentVoice {
  readonly warmer: TtsWarmer | undefined;

  constructor(private readonly d: VoiceDeps) {
    if (d.prewarm) this.warmer = new TtsWarmer(d.tts, { voiceId: d.agent.voiceId, model: d.agent.ttsModel });
  }

  /** Fixed text (greeting, re-prompt, apology, voicemail message, opt-out confirmation): no model involved. */
  fixed(text: string, endAfter?: EndAfter): Reply {
    const reply = this.create('fixed');
    reply.endAfter = endAfter;
    reply.sayFixed(text);
    return reply;
  }

  /** A reply the model will write (Reply.runModel). */
  forModel(): Reply {
    return this.create('llm');
  }

  warm(now = performance.now()) {
    if (this.warmer?.needed(now)) this.warmer.warm(now);
  }

  discard() {
    this.warmer?.discard();
  }

  private create(kind: 'llm' | 'fixed'): Reply {
    const { dispatch } = this.d;
    const abort = new AbortController();
    let reply!: Reply;
    const warmer = this.warmer;
    const speaker = new Speaker({
      tts: this.d.tts,
      voiceId: this.d.agent.voiceId,
      model: this.d.agent.ttsModel,
      out: this.d.out,
      usage: this.d.usage,
      log: this.d.log,
      signal: abort.signal,
      onFirstByte: () => (reply.stamps.ttsFirstByte = performance.now()),
      onFirstFrame: () => {
        reply.stamps.firstFrame = performance.now();
        reply.agentSeq = this.d.turns.take(); // the agent's turn takes its place when the caller starts hearing it
        dispatch({ type: 'ttsAudio', reply });
      },
      onPlayed: () => dispatch({ type: 'played', reply }),
      takeWarm: warmer
        ? (signal) => {
            const s = warmer.take(signal);
            warmer.warm();
            return s;
          }
        : undefined,
    });
    reply = new Reply(speaker, abort, kind);
    speaker.sent.then(
      () => {
        if (reply.failure) dispatch({ type: 'replyFailed', reply, vendor: reply.failure.vendor, message: reply.failure.message });
      },
      (err: Error) => dispatch({ type: 'replyFailed', reply, vendor: 'elevenlabs', message: err.message }),
    );
    return reply;
  }
}
