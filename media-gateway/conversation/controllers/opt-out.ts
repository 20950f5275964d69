import type { Logger } from 'pino';
import { cleanText } from '../../../lib/text/clean';
import { OPT_OUT_OUTCOME, type CallOutcome } from '../../../workflows/call/contract';

/**
 * Opt-out: a caller who asks not to be called again gets a short confirmation and the call ends,
 * with the outcome `opt_out` (workflows/call/contract.ts OPT_OUT_OUTCOME; the do-not-call list is
 * filled from it). Three ways in, any of which suffices:
 *
 * - what they said, matched here in English and Malay whatever the campaign's language (callers
 *   switch between them mid-sentence), so the request is honoured even when the model misses it
 *   or is the thing that failed;
 * - the model's `opt_out` tool, for the phrasings no list foresees;
 * - a keypad entry of exactly the configured key (GatewaySettings.optOutDigit).
 *
 * The patterns ask for the "again / any more" part where the bare phrase is an everyday request:
 * "jangan telefon saya sekarang" (not now, I'm busy) is a callback, "jangan telefon saya lagi" is
 * not. A false positive costs a contact; a miss costs a complaint: matches stay narrow and the
 * tool covers the rest.
 */

const PATTERNS: RegExp[] = [
  // English
  /\b(?:do not|don't|dont|never|no more)\s+(?:ever\s+)?(?:call|phone|ring|contact|text)(?:ing)?\s+(?:me|us|this number|my number)\s+(?:again|anymore|any more|ever)\b/,
  /\b(?:do not|don't|dont)\s+(?:ever\s+)?(?:call|phone|contact)\s+(?:me|this number)\s*(?:please\s*)?$/,
  /\bstop\s+(?:calling|phoning|ringing|contacting|bothering)\b/,
  /\b(?:take|remove|delete|cross|strike)\s+(?:me|my number|this number|my name)\s+(?:off|out of|from)\s+(?:your|the|this)\s+(?:\w+\s+){0,2}(?:list|database|records?)\b/,
  /\b(?:put|add)\s+(?:me|my number|this number)\s+(?:on|to)\s+(?:your|the)\s+do[ -]?not[ -]?call\b/,
  /\bdo[ -]?not[ -]?call list\b/,
  /\b(?:unsubscribe|opt(?:\s|-)?out)\b/,
  // Malay
  /\bjangan\s+(?:\w+\s+)?(?:telefon|telepon|tepon|call|kol|hubungi|menghubungi|ganggu|kacau)\s+(?:(?:saya|aku|sy|kami|nombor\s+(?:ini|saya))\s+)?(?:lagi|lg)\b/,
  /\bberhenti\s+(?:\w+\s+)?(?:telefon|menelefon|telepon|call|hubungi|menghubungi|ganggu|mengganggu)\b/,
  /\b(?:keluarkan|buang|padam|hapuskan|hapus)\s+nombor\s+(?:saya|aku|ini)\b/,
  /\b(?:tak\s*nak|taknak|tidak\s+mahu|tak\s+mahu|tidak\s+ingin)\s+(?:di)?(?:telefon|call|hubungi|ditelefon|dihubungi|ganggu|diganggu)\s+(?:\w+\s+)?lagi\b/,
];

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019`]/g, "'")
    .replace(/[^\p{L}\p{N}' -]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when the caller's words ask not to be called again. */
export function asksNotToBeCalled(text: string): boolean {
  const t = normalise(text);
  return t !== '' && PATTERNS.some((p) => p.test(t));
}

/** True when a keypad entry is the opt-out key (alone, or followed by `#`). */
export function isOptOutKey(digits: string, optOutDigit: string | undefined): boolean {
  return !!optOutDigit && (digits === optOutDigit || digits === `${optOutDigit}#`);
}

/** The opt-out as the workflow learns it: once per call, at once, whatever happens next. */
export class OptOutRecord {
  done = false;

  constructor(
    private readonly send: (outcome: CallOutcome) => void,
    private readonly log: Logger,
  ) {}

  /** Signals the outcome `opt_out`; false when the call had opted out already. */
  record(notes: string): boolean {
    if (this.done) return false;
    this.done = true;
    this.log.info('caller opted out');
    this.send({ result: OPT_OUT_OUTCOME, notes: cleanText(notes, 500) });
    return true;
  }
}
