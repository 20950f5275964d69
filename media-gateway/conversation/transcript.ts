import { cleanText } from '../../lib/text/clean';
import { turnLatency } from '../../lib/metrics';
import { transcriptSignal, type TranscriptTurn } from '../../workflows/call/contract';
import type { SignalSender } from '../signals/sender';
import type { Reply } from './reply';

/** Longest turn text sent to the workflow: a spoken turn is far shorter; a runaway model or STT is cut here. */
export const MAX_TURN_CHARS = 2_000;

/**
 * The call's transcript as the workflow receives it: one signal per turn, numbered in the order
 * the caller heard or said them. Every text is vendor text (STT, model) and is cleaned here, the
 * one place turns leave the gateway (lib/text/clean.ts: no NUL, no lone surrogate, bounded).
 */
export class TurnLog {
  private seq = 0;

  constructor(
    private readonly signals: SignalSender,
    /** Transcript times are ms since the stream started (transcript_turns.at_ms is a 32-bit integer). */
    private readonly startedAt: number,
  ) {}

  /** A seq for a turn whose text comes later (an agent turn takes its place at its first frame). */
  take(): number {
    return ++this.seq;
  }

  caller(text: string): number {
    return this.send({ seq: this.take(), role: 'caller', text, atMs: this.sinceStart() });
  }

  /** An agent reply: as played, or (`interrupted`) cut where the caller stopped hearing it. */
  agent(reply: Reply, text: string, interrupted: boolean) {
    const seq = reply.agentSeq;
    if (seq === undefined) return; // nothing of it was ever sent: nothing was heard
    const latency = reply.latency();
    this.send({
      seq,
      role: 'agent',
      text,
      atMs: this.sinceStart(reply.stamps.firstFrame),
      ...(interrupted ? { interrupted: true } : {}),
      ...(latency ? { latency } : {}),
    });
    if (latency && !interrupted) observeLatency(reply);
  }

  sinceStart(at = performance.now()): number {
    return Math.round(at - this.startedAt);
  }

  private send(turn: TranscriptTurn): number {
    turn.text = cleanText(turn.text, MAX_TURN_CHARS);
    this.signals.send(transcriptSignal, turn);
    return turn.seq;
  }
}

function observeLatency(reply: Reply) {
  const s = reply.stamps;
  if (s.endOfSpeech === undefined) return;
  const sec = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : Math.max(0, (b - a) / 1000);
  const put = (h: { observe(v: number): void }, v: number | undefined) => v !== undefined && h.observe(v);
  put(turnLatency.sttFinal, sec(s.endOfSpeech, s.sttFinal));
  put(turnLatency.llmFirstToken, sec(s.sttFinal, s.llmFirstToken));
  put(turnLatency.firstClause, sec(s.endOfSpeech, s.firstClause));
  put(turnLatency.ttsFirstByte, sec(s.firstClauseSent, s.ttsFirstByte));
  put(turnLatency.voiceToVoice, sec(s.endOfSpeech, s.firstFrame));
}
