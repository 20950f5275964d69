/**
 * Automated-call rules (e.g. the US TCPA's identification requirement, Malaysia's MCMC content
 * code) want a call to say at the start who is calling and why. The check is on the campaign's
 * first message template: it must contain an identification phrase and a purpose phrase, in
 * English or Malay. It is a phrase check, not understanding — it catches a first message that
 * forgot either, and its error says what to add.
 */
const IDENTITY = [
  /\b(this is|my name is|i am|i'm|it's|calling from|on behalf of|here from|speaking from)\b/i,
  /\b(saya|nama saya|ini|dari|bagi pihak|mewakili)\b/i,
];
const PURPOSE = [
  /\b(calling (about|regarding|to|because|for|on|with)|about (your|the)|regarding|reason for (my|this) call|to (remind|follow up|confirm|let you know|offer|tell you|ask|check|discuss|invite|update))\b/i,
  /\b(menelefon|menghubungi|berkenaan|mengenai|tentang|untuk (mengingatkan|mengesahkan|memaklumkan|bertanya|menawarkan|menjemput|berbincang))\b/i,
];

export type DisclosureGap = 'who' | 'why';

export interface DisclosureResult {
  ok: boolean;
  missing: DisclosureGap[];
  /** Set when not ok: the error a client sees. */
  message?: string;
}

export const DISCLOSURE_EXAMPLE = 'Hi {{name|there}}, this is Aina from Acme Insurance, calling about your policy renewal.';

export function checkDisclosure(firstMessage: string): DisclosureResult {
  // placeholders count as their default, or as a word: "this is {{agent}}" still names the caller
  const text = firstMessage.replace(
    /\{\{([^{}|]*)(?:\|([^{}]*))?\}\}/g,
    (_m, name: string, fallback?: string) => fallback ?? name,
  );
  const missing: DisclosureGap[] = [];
  if (!IDENTITY.some((r) => r.test(text))) missing.push('who');
  if (!PURPOSE.some((r) => r.test(text))) missing.push('why');
  if (!missing.length) return { ok: true, missing };
  const what = missing.map((m) =>
    m === 'who'
      ? 'who is calling ("this is Aina from Acme", "saya Aina dari Acme")'
      : 'why ("calling about your renewal", "menelefon berkenaan pembaharuan anda")',
  );
  return {
    ok: false,
    missing,
    message: `agent.firstMessage must say who is calling and why, as automated-call rules require; it does not say ${what.join(' or ')}. For example: "${DISCLOSURE_EXAMPLE}"`,
  };
}
