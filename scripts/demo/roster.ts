import type { CalleeBehavior, Scenario } from '../../sim/twilio/scenario';
import type { PersonaName } from '../../sim/callee/persona';

/**
 * The demo's simulated callees: who picks up and how each one behaves. Each persona maps to a Twilio
 * simulator behaviour by number (SIM_TWILIO_SCENARIO); the conversational personas are answered
 * calls whose talk the simulated callee (sim/callee) plays against the agent when it is present, and
 * which otherwise hang up after a fixed time so the demo still shows answered, billed calls.
 */
export type Persona =
  | 'interested'
  | 'not_interested'
  | 'callback'
  | 'interrupter'
  | 'backchanneler'
  | 'silent'
  | 'hangs_up_early'
  | 'busy'
  | 'no_answer'
  | 'voicemail'
  | 'failed';

export interface Callee {
  phone: string;
  name: string;
  persona: Persona;
}

/** Varied from the first callee on, so a reduced run (e.g. 6 callees) still shows most kinds. */
const ORDER: Persona[] = [
  'interested',
  'busy',
  'not_interested',
  'voicemail',
  'no_answer',
  'callback',
  'interrupter',
  'silent',
  'hangs_up_early',
  'failed',
  'interested',
  'not_interested',
  'busy',
  'interrupter',
  'voicemail',
  'no_answer',
  'callback',
  'interested',
  'not_interested',
  'backchanneler',
];

const NAMES = [
  'Aminah',
  'Raj',
  'Mei Ling',
  'Farid',
  'Siti',
  'Kumar',
  'Wei Jie',
  'Nurul',
  'Daniel',
  'Priya',
  'Hafiz',
  'Grace',
  'Arjun',
  'Zarina',
  'Jason',
  'Lakshmi',
  'Azlan',
  'Chloe',
  'Irfan',
  'Devi',
];

/**
 * The personas that talk (sim/callee/persona.ts names them) and how long each stays on the line
 * when there is no conversation to end the call: no media gateway in the stack.
 */
const TALK_MS = {
  interested: 9_000,
  not_interested: 5_000,
  callback: 7_000,
  interrupter: 8_000,
  backchanneler: 9_000,
  silent: 6_000,
  hangs_up_early: 2_500,
} satisfies Partial<Record<PersonaName & Persona, number>>;
type Talking = keyof typeof TALK_MS;

export const isConversational = (p: Persona): p is Talking => Object.hasOwn(TALK_MS, p);

/** With a conversation the agent or the callee ends the call; this only stops a runaway one. */
const CONVERSATION_BACKSTOP_MS = 60_000;

/** `n` callees on fictitious Malaysian mobile numbers (+60 12-555 01xx), personas in ORDER. */
export function roster(n: number): Callee[] {
  return Array.from({ length: n }, (_, i) => ({
    phone: `+6012555${String(101 + i).padStart(4, '0')}`,
    name: NAMES[i % NAMES.length]!,
    persona: ORDER[i % ORDER.length]!,
  }));
}

/**
 * The Twilio simulator's behaviour for a callee. Talking personas answer and carry the persona the
 * simulated callee plays; `conversations` says whether a media gateway is there to talk to.
 */
export function behaviorOf(c: Callee, index: number, conversations: boolean): CalleeBehavior {
  // Staggered pick-up so calls do not all move in lock-step.
  const afterMs = 800 + (index % 5) * 400;
  const p = c.persona;
  if (isConversational(p))
    return { kind: 'answer', afterMs, hangupAfterMs: conversations ? CONVERSATION_BACKSTOP_MS : TALK_MS[p], persona: p };
  switch (p) {
    case 'busy':
      return { kind: 'busy', afterMs: 1_200 };
    case 'no_answer':
      return { kind: 'no-answer' };
    case 'voicemail':
      return { kind: 'voicemail', afterMs, detectMs: 1_500, hangupAfterMs: 20_000 };
    case 'failed':
      return { kind: 'failed', afterMs: 600 };
  }
}

export function scenarioFor(callees: Callee[], opts: { conversations: boolean }): Scenario {
  return {
    numbers: Object.fromEntries(callees.map((c, i) => [c.phone, behaviorOf(c, i, opts.conversations)])),
    default: { kind: 'answer', afterMs: 1_000, hangupAfterMs: 5_000 },
  };
}

/** `+6012•••0101`: country and operator code and the last four digits only, as in logs and memos. */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 8) return `•••${digits.slice(-2)}`;
  return `+${digits.slice(0, 4)}•••${digits.slice(-4)}`;
}
