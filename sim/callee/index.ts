import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnsweredCall, OnAnswered } from '../twilio/server';
import { CalleeStream } from './media-client';
import { resolvePersona, type PersonaSpec } from './persona';
import { runPersona } from './persona-runner';
import type { MediaSession } from './session';
import { stereoWavFromUlaw } from './wav';

export type { MediaSession, AgentUtterance, CallerUtterance, MarkRecord, ClearRecord, DtmfRecord, StreamEnd, StreamEndBy } from './session';
export { PERSONAS, resolvePersona, type PersonaSpec, type PersonaStep, type PersonaName } from './persona';
export { CalleeStream } from './media-client';

export interface CalleeOptions {
  /** Persona for answered calls whose scenario names none (default: none — listens silently). */
  defaultPersona?: PersonaSpec;
  /** Write each call's stereo WAV (left caller, right agent as played) here, as `<CallSid>.wav`. */
  recordingsDir?: string;
  /** Agent silence after which the callee considers the agent's utterance finished (default 600 ms). */
  agentEndSilenceMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface Callee {
  onAnswered: OnAnswered;
  /** Every media session by CallSid, from the moment the call is answered. */
  sessions: Map<string, MediaSession>;
  /** Resolves when every session so far is done (recordings written). */
  settle(): Promise<void>;
}

/**
 * The simulated callee behind the Twilio simulator: for each answered call with a <Stream>, a Media
 * Streams client driven by the call's persona. `authToken` signs the stream handshake.
 */
export function createCallee(opts: CalleeOptions & { authToken?: string } = {}): Callee {
  const sessions = new Map<string, MediaSession>();
  const onAnswered: OnAnswered = async (call: AnsweredCall) => {
    let persona: ReturnType<typeof resolvePersona>;
    try {
      persona = resolvePersona(call.persona ?? opts.defaultPersona);
    } catch (err) {
      // A scenario mistake: log it and listen silently rather than fail the call.
      opts.log?.('bad persona, callee stays silent', { callSid: call.callSid, error: (err as Error).message });
      persona = { name: 'invalid', steps: [] };
    }
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const stream = new CalleeStream(
      {
        callSid: call.callSid,
        accountSid: call.accountSid,
        streamUrl: call.streamUrl,
        parameters: call.parameters,
        signal: call.signal,
        authToken: opts.authToken,
        persona: persona.name,
        agentEndSilenceMs: opts.agentEndSilenceMs,
        record: opts.recordingsDir !== undefined,
        log: opts.log,
      },
      done,
    );
    const session = stream.session;
    sessions.set(call.callSid, session);
    const script = runPersona(stream, persona.steps).catch((err) =>
      opts.log?.('persona failed', { callSid: call.callSid, error: (err as Error).message }),
    );
    stream.connect();
    await stream.ended;
    // The call ends as soon as the stream does; the recording is written behind it.
    void (async () => {
      await script;
      if (opts.recordingsDir && session.connected) {
        try {
          const rec = stream.recording();
          await mkdir(opts.recordingsDir, { recursive: true });
          const path = join(opts.recordingsDir, `${call.callSid}.wav`);
          await writeFile(path, stereoWavFromUlaw(Buffer.concat(rec.caller), Buffer.concat(rec.agent)));
          session.recordingPath = path;
        } catch (err) {
          opts.log?.('recording not written', { callSid: call.callSid, error: (err as Error).message });
        }
      }
    })().finally(resolveDone);
    return { hangup: true };
  };
  return {
    onAnswered,
    sessions,
    async settle() {
      await Promise.allSettled([...sessions.values()].map((s) => s.done));
    },
  };
}
