import type { CalleeBehavior, Scenario } from '../twilio/scenario';

/**
 * The callees of `npm run dev` and the demo, by the destination number's last digit, so any contact
 * list gets a mix (numbers ending 0–9 cover every case once):
 *
 *   0 interested · 1 not interested · 2 asks for a callback tomorrow at 10 · 3 interrupts the agent ·
 *   4 silent · 5 hangs up during the greeting · 6 busy · 7 no answer · 8 voicemail · 9 back-channels, interested
 *
 * People pick up after 1.5 s; a 60 s hang-up is only a backstop for a conversation that never ends.
 */
const person = (persona: string): CalleeBehavior => ({ kind: 'answer', afterMs: 1_500, hangupAfterMs: 60_000, persona });

export const DEV_SCENARIO: Scenario = {
  byLastDigit: {
    '0': person('interested'),
    '1': person('not_interested'),
    '2': person('callback'),
    '3': person('interrupter'),
    '4': person('silent'),
    '5': person('hangs_up_early'),
    '6': { kind: 'busy', afterMs: 1_000 },
    '7': { kind: 'no-answer' },
    '8': { kind: 'voicemail', afterMs: 1_500, detectMs: 1_000, greetingMs: 3_800, hangupAfterMs: 30_000 },
    '9': person('backchanneler'),
  },
  default: person('interested'),
};
