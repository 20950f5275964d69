import type { CalleeBehavior, Scenario } from '../../sim/twilio/scenario';

/**
 * The demo's simulated callees: who picks up and how each one behaves. Each persona maps to a Twilio
 * simulator behaviour by number (SIM_TWILIO_SCENARIO); the conversational personas are answered
 * calls whose talk the simulated callee (sim/callee) plays against the agent when it is present, and
 * which otherwise hang up after a fixed time so the demo still shows answered, billed calls.
 */
export type Persona =
  | 'interested' | 'not_interested' | 'callback' | 'interrupter' | 'silent' | 'hangs_up_early'
  | 'busy' | 'no_answer' | 'voicemail' | 'failed';

export interface Callee {
  phone: string;
  name: string;
  persona: Persona;
}

/** Varied from the first callee on, so a reduced run (e.g. 6 callees) still shows most kinds. */
const ORDER: Persona[] = [
  'interested', 'busy', 'not_interested', 'voicemail', 'no_answer', 'callback',
  'interrupter', 'silent', 'hangs_up_early', 'failed', 'interested', 'not_interested',
  'busy', 'interrupter', 'voicemail', 'no_answer', 'callback', 'interested', 'not_interested', 'interested',
];

const NAMES = ['Aminah', 'Raj', 'Mei Ling', 'Farid', 'Siti', 'Kumar', 'Wei Jie', 'Nurul', 'Daniel', 'Priya',
  'Hafiz', 'Grace', 'Arjun', 'Zarina', 'Jason', 'Lakshmi', 'Azlan', 'Chloe', 'Irfan', 'Devi'];

/** How long each talking persona stays on the line when no simulated callee drives the talk (ms). */
const TALK_MS: Partial<Record<Persona, number>> = {
  interested: 9_000, not_interested: 5_000, callback: 7_000, interrupter: 8_000, silent: 6_000, hangs_up_early: 2_500,
};

export const isConversational = (p: Persona) => TALK_MS[p] !== undefined;

/** `n` callees on fictitious Malaysian mobile numbers (+60 12-555 01xx), personas in ORDER. */
export function roster(n: number): Callee[] {
  return Array.from({ length: n }, (_, i) => ({
    phone: `+6012555${String(101 + i).padStart(4, '0')}`,
    name: NAMES[i % NAMES.length]!,
    persona: ORDER[i % ORDER.length]!,
  }));
}

/** Behaviour for the Twilio simulator, plus the persona the simulated callee plays (extra field). */
export type DemoBehavior = CalleeBehavior & { persona?: Persona };

export function behaviorOf(c: Callee, index: number): DemoBehavior {
  // Staggered pick-up so calls do not all move in lock-step.
  const afterMs = 800 + (index % 5) * 400;
  switch (c.persona) {
    case 'busy':
      return { kind: 'busy', afterMs: 1_200 };
    case 'no_answer':
      return { kind: 'no-answer' };
    case 'voicemail':
      return { kind: 'voicemail', afterMs, detectMs: 1_500, hangupAfterMs: 20_000 };
    case 'failed':
      return { kind: 'failed', afterMs: 600 };
    default:
      // hangupAfterMs: the callee leaves after its talk; with sim/callee driving the talk, the
      // conversation ends first and this is only a backstop.
      return { kind: 'answer', afterMs, hangupAfterMs: TALK_MS[c.persona]!, persona: c.persona };
  }
}

export function scenarioFor(callees: Callee[]): Scenario {
  return {
    numbers: Object.fromEntries(callees.map((c, i) => [c.phone, behaviorOf(c, i)])),
    default: { kind: 'answer', afterMs: 1_000, hangupAfterMs: 5_000 },
  };
}

/** `+6012•••0101`: country and operator code and the last four digits only, as in logs and memos. */
export function maskNumber(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 8) return `•••${digits.slice(-2)}`;
  return `+${digits.slice(0, 4)}•••${digits.slice(-4)}`;
}
