import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnsweredCall, OnAnswered } from '../twilio/server';
import { CalleeStream, type CalleeStreamOptions } from './media-client';
import { resolvePersona, type PersonaSpec } from './persona';
import { runPersona } from './persona-runner';
import type { MediaSession } from './session';
import { stereoWavFromUlaw } from './wav';

export type {
  MediaSession,
  AgentUtterance,
  CallerUtterance,
  MarkRecord,
  ClearRecord,
  DtmfRecord,
  StreamEnd,
  StreamEndBy,
} from './session';
export { PERSONAS, resolvePersona, type PersonaSpec, type PersonaStep, type PersonaName } from './persona';
export { CalleeStream, type CalleeStreamOptions } from './media-client';

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

export interface OpenCalleeOptions extends Omit<CalleeStreamOptions, 'persona' | 'record'> {
  /** What the callee says (persona.ts); default none: it listens silently. */
  persona?: PersonaSpec;
  /** Write the call's stereo WAV here as `<callSid>.wav` when the stream is over. */
  recordingsDir?: string;
}

export interface OpenedCallee {
  stream: CalleeStream;
  session: MediaSession;
  /** The persona finished its steps (or the stream ended first). */
  script: Promise<void>;
  /** The stream is over. */
  ended: Promise<void>;
}

/**
 * One simulated callee on one Media Stream, without the Twilio simulator around it (gateway tests and
 * benches): connects at once, plays `persona`, records when asked; `session.done` resolves once the
 * recording is written. Abort `signal` to hang up as Twilio would.
 */
export function openCalleeStream(opts: OpenCalleeOptions): OpenedCallee {
  let persona: ReturnType<typeof resolvePersona>;
  try {
    persona = resolvePersona(opts.persona);
  } catch (err) {
    // A scenario mistake: log it and listen silently rather than fail the call.
    opts.log?.('bad persona, callee stays silent', { callSid: opts.callSid, error: (err as Error).message });
    persona = { name: 'invalid', steps: [] };
  }
  let resolveDone!: () => void;
  const stream = new CalleeStream(
    { ...opts, persona: persona.name, record: opts.recordingsDir !== undefined },
    new Promise<void>((r) => (resolveDone = r)),
  );
  const session = stream.session;
  const script = runPersona(stream, persona.steps).catch((err) =>
    opts.log?.('persona failed', { callSid: opts.callSid, error: (err as Error).message }),
  );
  stream.connect();
  void (async () => {
    await stream.ended;
    await script;
    if (opts.recordingsDir && session.connected) {
      try {
        const rec = stream.recording();
        await mkdir(opts.recordingsDir, { recursive: true });
        const path = join(opts.recordingsDir, `${opts.callSid}.wav`);
        await writeFile(path, stereoWavFromUlaw(Buffer.concat(rec.caller), Buffer.concat(rec.agent)));
        session.recordingPath = path;
      } catch (err) {
        opts.log?.('recording not written', { callSid: opts.callSid, error: (err as Error).message });
      }
    }
  })().finally(resolveDone);
  return { stream, session, script, ended: stream.ended };
}

/**
 * The simulated callee behind the Twilio simulator: for each answered call with a <Stream>, a Media
 * Streams client driven by the call's persona. `authToken` signs the stream handshake.
 */
export function createCallee(opts: CalleeOptions & { authToken?: string } = {}): Callee {
  const sessions = new Map<string, MediaSession>();
  const onAnswered: OnAnswered = async (call: AnsweredCall) => {
    const { session, ended } = openCalleeStream({
      callSid: call.callSid,
      accountSid: call.accountSid,
      streamUrl: call.streamUrl,
      parameters: call.parameters,
      signal: call.signal,
      authToken: opts.authToken,
      persona: call.persona ?? opts.defaultPersona,
      agentEndSilenceMs: opts.agentEndSilenceMs,
      recordingsDir: opts.recordingsDir,
      log: opts.log,
    });
    sessions.set(call.callSid, session);
    // The call ends as soon as the stream does; the recording is written behind it (session.done).
    await ended;
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
