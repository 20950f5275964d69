/**
 * Pure rules for Twilio call statuses (no Temporal imports: unit-tested directly).
 *
 * Twilio's statuses only move forward: queued → initiated → ringing → in-progress → a final one.
 * Callbacks can arrive late, twice or out of order, so an event is applied only if it moves the
 * call forward; anything after a final status is ignored.
 */
import type { CallTerminalStatus } from './contract';

const RANK: Record<string, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  failed: 4,
  canceled: 4,
};

export const providerRank = (status: string): number | undefined => RANK[status];
export const isProviderFinal = (status: string) => RANK[status] === 4;

/** `completed` is only reached through an answer; the other finals mean nobody picked up. */
export const finalImpliesAnswer = (status: string) => status === 'completed';

/** A final status reached without an answer, as the call's terminal status. */
export function unansweredTerminal(status: string): CallTerminalStatus {
  switch (status) {
    case 'busy':
      return 'busy';
    case 'no-answer':
    case 'canceled': // we canceled a ringing call at the ring timeout
      return 'no_answer';
    default:
      return 'failed';
  }
}

/** Async AMD results that mean nobody human is there. */
export const isMachine = (answeredBy: string | undefined) =>
  !!answeredBy && (answeredBy.startsWith('machine') || answeredBy === 'fax');
