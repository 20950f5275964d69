import type { PersonaSpec } from '../callee/persona';

/**
 * How the simulated callee behaves, per destination number or by default. Times are milliseconds
 * of real time after the call starts ringing.
 */
export type CalleeBehavior =
  /**
   * Picks up after `afterMs`; hangs up after `hangupAfterMs` of talk if given, else stays until we hang
   * up or the media session ends. With the simulated callee on, `persona` (a name from
   * sim/callee/persona.ts, or inline steps) is what the person says.
   */
  | { kind: 'answer'; afterMs?: number; hangupAfterMs?: number; persona?: PersonaSpec }
  | { kind: 'busy'; afterMs?: number }
  /** Rings until the request's Timeout (ring timeout), then `no-answer`. */
  | { kind: 'no-answer' }
  /** The carrier fails the call after `afterMs`. */
  | { kind: 'failed'; afterMs?: number }
  /**
   * An answering machine: answers after `afterMs` and plays the `voicemail_greeting` persona; async AMD
   * reports `machine_start` (mode Enable) after `detectMs` (default 100), or `machine_end_beep` (mode
   * DetectMessageEnd, the only AMD callback in that mode, as at Twilio) after `greetingMs` (default: the
   * greeting's length plus a beep, MACHINE_GREETING_MS in server.ts); the machine hangs up after
   * `hangupAfterMs` (recording limit, default 30 s).
   */
  | { kind: 'voicemail'; afterMs?: number; detectMs?: number; greetingMs?: number; hangupAfterMs?: number }
  /** The REST create itself fails with this Twilio error (e.g. 400 / 21211 for an invalid number). */
  | { kind: 'reject'; status: number; code: number; message?: string };

export interface Scenario {
  numbers?: Record<string, CalleeBehavior>;
  /** By the number's last digit ("0"–"9"), after `numbers`: an easy way to give a contact list a mix. */
  byLastDigit?: Record<string, CalleeBehavior>;
  default?: CalleeBehavior;
}

export const DEFAULT_BEHAVIOR: CalleeBehavior = { kind: 'answer', afterMs: 50 };

export function behaviorFor(scenario: Scenario, to: string): CalleeBehavior {
  return scenario.numbers?.[to] ?? scenario.byLastDigit?.[to.slice(-1)] ?? scenario.default ?? DEFAULT_BEHAVIOR;
}

/** Switches for reliability tests; all off by default. */
export interface Faults {
  /** The next creates fail with these responses, in order (e.g. 503, then 429). Each is logged. */
  createErrors: { status: number; code?: number; message?: string }[];
  /** The next N creates succeed at the "provider" but the HTTP response is never sent (socket destroyed). */
  dropCreateResponses: number;
  /** Status callbacks with these CallStatus values are never delivered. */
  dropStatuses: string[];
  /** Deliver every status callback twice. */
  duplicateCallbacks: boolean;
  /** Hold a call's callbacks until its final one, then deliver them newest first. */
  reverseCallbacks: boolean;
  /** Creates succeed at once but their HTTP response waits this long (a window to kill the dialer in). */
  delayCreateResponseMs: number;
  /** The list endpoint returns no calls (models a listing that lags behind creates). */
  hideCallsFromList: boolean;
}

export const noFaults = (): Faults => ({
  createErrors: [],
  dropCreateResponses: 0,
  dropStatuses: [],
  duplicateCallbacks: false,
  reverseCallbacks: false,
  hideCallsFromList: false,
  delayCreateResponseMs: 0,
});
