import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanJson, cleanText, hasUnsafeText } from '../../lib/text/clean';
import { unstorableText } from '../../api/text-guard';

describe('cleanText', () => {
  it('drops NUL and control characters but keeps tabs and newlines', () => {
    expect(cleanText('a\u0000b\u0007c\td\ne\r')).toBe('abc\td\ne\r');
  });

  it('replaces lone surrogates and keeps real pairs', () => {
    expect(cleanText('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(cleanText('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('bounds the length without splitting a surrogate pair', () => {
    expect(cleanText('abc😀', 4)).toBe('abc');
    expect(cleanText('abcdef', 3)).toBe('abc');
  });

  it('leaves Malay and other ordinary text alone', () => {
    const s = 'Jangan telefon saya lagi — terima kasih, Encik Ali.';
    expect(cleanText(s)).toBe(s);
    expect(hasUnsafeText(s)).toBe(false);
  });

  it('always yields text Postgres can store', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = cleanText(s);
        expect(unstorableText(out)).toBeUndefined();
        expect(hasUnsafeText(out)).toBe(false);
      }),
    );
  });

  it('cleans keys and values of JSON', () => {
    expect(cleanJson({ 'k\u0000': ['a\ud800', 1, null, { n: 'b\u0000' }] })).toEqual({ k: ['a\ufffd', 1, null, { n: 'b' }] });
  });
});
