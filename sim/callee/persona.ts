/**
 * Personas: what a simulated callee says, and when, as data.
 *
 * A persona is an ordered list of steps, run one after the other from the moment the media stream
 * opens. Each step first waits for its trigger, then acts; the next step's trigger counts from the
 * moment the previous step finished (for speech: when its last frame was sent).
 *
 *   { say: "yes I'm interested", after?: 'agent_done' | { ms } }
 *       Speak the text. `agent_done` (the default): once the callee has heard the agent finish an
 *       utterance that a `clear` did not cut short (the agent's end of turn, heard as 600 ms of
 *       silence after its speech with no more agent audio queued). `{ ms }`: that long after the previous step.
 *   { interrupt: "wait, sorry", afterAgentMs?: 800 }
 *       Barge in: once the agent has been talking for `afterAgentMs` (the utterance in progress,
 *       else the next one), speak over it. The gateway is expected to `clear` its audio.
 *   { backchannel: "ok", afterAgentMs?: 800 }
 *       Same timing as `interrupt`, but a short acknowledgement the gateway must NOT treat as a
 *       barge-in. Recorded with kind `backchannel` so tests can check the agent kept talking.
 *   { dtmf: "1", after?: 'agent_done' | { ms } }
 *       Press keys: one `dtmf` event per digit (0-9 * # A-D).
 *   { silence: true } | { silence: { ms } }
 *       Say nothing: for ever (until the call ends — tests the gateway's silence timeout), or for
 *       that long before the next step.
 *   { hangup: true, after?: 'agent_done' | { ms } }
 *       Hang up: Twilio sends `stop` and closes the stream, and the call completes.
 *
 * After the last step the callee stays on the line, silent, until the call ends some other way.
 * Speech is sim/audio/speech.ts audio (12.5 characters per second), which the Azure simulator
 * decodes back to the text, so keep phrases short in tests.
 *
 * Named personas (for the demo and tests) are below; a scenario picks one per destination number
 * with `{ kind: 'answer', persona: 'interested' }` or gives inline steps (`persona: [ … ]`).
 * The matching agent side is sim/callee/agent-script.ts.
 */

export type StepTrigger = 'agent_done' | { ms: number };

export type PersonaStep =
  | { say: string; after?: StepTrigger }
  | { interrupt: string; afterAgentMs?: number }
  | { backchannel: string; afterAgentMs?: number }
  | { dtmf: string; after?: StepTrigger }
  | { silence: true | { ms: number } }
  | { hangup: true; after?: StepTrigger };

/** A persona name from PERSONAS, or inline steps. */
export type PersonaSpec = string | PersonaStep[];

export const PERSONAS = {
  /** Talks, says yes: the agent records `interested` and says goodbye. */
  interested: [{ say: 'Hello, who is this?' }, { say: 'Yes, I am interested.' }],
  /** Declines at once: the agent records `not_interested` and ends the call. */
  not_interested: [{ say: 'No thanks, I am not interested.' }],
  /** Asks to be called tomorrow at 10: the agent records `callback` with `callbackAt`. */
  callback: [{ say: 'I am busy now. Call me back tomorrow at 10.' }],
  /** Barges in on the greeting, then declines. */
  interrupter: [{ interrupt: 'Wait, sorry, who is calling?', afterAgentMs: 800 }, { say: 'No thanks, I am not interested.' }],
  /** Says "ok" while the agent talks (must not interrupt it), then agrees. */
  backchanneler: [{ backchannel: 'Ok.', afterAgentMs: 1000 }, { say: 'Yes, I am interested.' }],
  /** Answers by keypad, then agrees. */
  presses_keys: [{ dtmf: '1' }, { say: 'Yes, I am interested.' }],
  /** Never says a word: the gateway re-prompts, then ends the call on its silence timeout. */
  silent: [{ silence: true }],
  /** Hangs up in the middle of the greeting. */
  hangs_up_early: [{ hangup: true, after: { ms: 1_500 } }],
  /** An answering machine's greeting (the Twilio sim's `voicemail` callees use it), then silence. */
  voicemail_greeting: [{ say: 'Please leave a message after the tone.', after: { ms: 300 } }],
} satisfies Record<string, PersonaStep[]>;

export type PersonaName = keyof typeof PERSONAS;

export function isPersonaName(name: string): name is PersonaName {
  return Object.hasOwn(PERSONAS, name);
}

/** The steps and a label for the record; throws on an unknown name or a malformed step. */
export function resolvePersona(spec: PersonaSpec | undefined): { name: string; steps: PersonaStep[] } {
  if (spec === undefined) return { name: 'none', steps: [] };
  if (typeof spec === 'string') {
    if (!isPersonaName(spec))
      throw new Error(`unknown persona ${JSON.stringify(spec)} (known: ${Object.keys(PERSONAS).join(', ')})`);
    return { name: spec, steps: PERSONAS[spec] };
  }
  spec.forEach((s, i) => {
    const problem = checkStep(s);
    if (problem) throw new Error(`persona step ${i}: ${problem}`);
  });
  return { name: 'inline', steps: spec };
}

function checkTrigger(t: unknown): string | undefined {
  if (t === undefined || t === 'agent_done') return undefined;
  if (typeof t === 'object' && t !== null && typeof (t as { ms?: unknown }).ms === 'number' && (t as { ms: number }).ms >= 0)
    return undefined;
  return `after must be 'agent_done' or { ms } (got ${JSON.stringify(t)})`;
}

function checkStep(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'not an object';
  const o = s as Record<string, unknown>;
  const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  if ('say' in o) return nonEmpty(o.say) ? checkTrigger(o.after) : 'say needs text';
  if ('interrupt' in o || 'backchannel' in o) {
    if (!nonEmpty(o.interrupt ?? o.backchannel)) return 'interrupt/backchannel needs text';
    return o.afterAgentMs === undefined || (typeof o.afterAgentMs === 'number' && o.afterAgentMs >= 0)
      ? undefined
      : 'afterAgentMs must be a number ≥ 0';
  }
  if ('dtmf' in o)
    return typeof o.dtmf === 'string' && /^[0-9*#A-D]+$/.test(o.dtmf) ? checkTrigger(o.after) : 'dtmf must be digits 0-9 * # A-D';
  if ('silence' in o)
    return o.silence === true || (typeof o.silence === 'object' && checkTrigger(o.silence) === undefined)
      ? undefined
      : 'silence must be true or { ms }';
  if ('hangup' in o) return o.hangup === true ? checkTrigger(o.after) : 'hangup must be true';
  return `unknown step ${JSON.stringify(s)}`;
}
