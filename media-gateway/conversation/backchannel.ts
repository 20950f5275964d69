/**
 * Short acknowledgements a caller makes while listening ("ok", "hmm", "uh huh", Malay "ya",
 * "okey"…). They must not interrupt the agent. A text is a back-channel when every word in it is
 * one, and it is short: "ok but wait" is an interruption.
 */
const WORDS = new Set([
  // English
  'ok',
  'okay',
  'k',
  'hmm',
  'hm',
  'mm',
  'mhm',
  'mmhmm',
  'uh',
  'huh',
  'uhhuh',
  'uh-huh',
  'um',
  'yeah',
  'yes',
  'yep',
  'yup',
  'right',
  'sure',
  'alright',
  'i',
  'see',
  'got',
  'it',
  'oh',
  'ah',
  'aha',
  'cool',
  'fine',
  // Malay / Indonesian
  'ya',
  'ye',
  'yelah',
  'okey',
  'oke',
  'baik',
  'betul',
  'haah',
  'ha',
  "a'ah",
  'aah',
  'oh',
  'faham',
  'iya',
  'iye',
  'hmm',
  // Mandarin / Cantonese romanised and in script, Tamil
  'en',
  'dui',
  'hao',
  'haode',
  '嗯',
  '对',
  '好',
  '好的',
  '是',
  '哦',
  'sari',
  'aama',
]);
const MAX_WORDS = 3;

export function isBackchannel(text: string): boolean {
  const words = text
    .toLowerCase()
    .replace(/[.,!?…;:"()]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0 || words.length > MAX_WORDS) return false;
  return words.every((w) => WORDS.has(w));
}
