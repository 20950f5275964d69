/**
 * The few things the gateway says on its own, without the model: they must work when the model
 * is the thing that failed, and cost no tokens. By the campaign's language; English otherwise.
 */
export interface Phrases {
  /** After the silence timeout, once. */
  reprompt: string;
  /** After a second silence timeout. */
  silenceGoodbye: string;
  /** When a vendor failure makes the conversation impossible. */
  apology: string;
  /** end_call without a goodbye of the model's own. */
  goodbye: string;
  /** The caller asked not to be called again (controllers/opt-out.ts). */
  optOut: string;
}

const PHRASES: Record<string, Phrases> = {
  en: {
    reprompt: 'Are you still there?',
    silenceGoodbye: "I can't hear you, so I'll end the call now. Goodbye.",
    apology: "I'm sorry, we're having a technical problem, so I have to end the call. We'll get back to you. Goodbye.",
    goodbye: 'Thank you for your time. Goodbye.',
    optOut: "Understood, we won't call you again. Goodbye.",
  },
  ms: {
    reprompt: 'Helo, anda masih di talian?',
    silenceGoodbye: 'Saya tidak dapat mendengar anda, jadi saya akan tamatkan panggilan ini. Selamat tinggal.',
    apology:
      'Maaf, kami menghadapi masalah teknikal dan terpaksa menamatkan panggilan ini. Kami akan menghubungi anda semula. Selamat tinggal.',
    goodbye: 'Terima kasih atas masa anda. Selamat tinggal.',
    optOut: 'Baik, kami tidak akan menelefon anda lagi. Selamat tinggal.',
  },
  id: {
    reprompt: 'Halo, apakah Anda masih di sana?',
    silenceGoodbye: 'Saya tidak dapat mendengar Anda, jadi saya akan mengakhiri panggilan ini. Selamat tinggal.',
    apology:
      'Maaf, kami mengalami masalah teknis dan harus mengakhiri panggilan ini. Kami akan menghubungi Anda kembali. Selamat tinggal.',
    goodbye: 'Terima kasih atas waktu Anda. Selamat tinggal.',
    optOut: 'Baik, kami tidak akan menelepon Anda lagi. Selamat tinggal.',
  },
};

export function phrasesFor(language: string): Phrases {
  return PHRASES[language.toLowerCase().split('-')[0]!] ?? PHRASES.en!;
}
