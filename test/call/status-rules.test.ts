import { describe, expect, it } from 'vitest';
import { isMachine, isProviderFinal, providerRank, unansweredTerminal, finalImpliesAnswer } from '../../workflows/call/status';
import { classifyTwilioError } from '../../providers/twilio/errors';
import { streamTwiml } from '../../providers/twilio/adapter';
import { parseTwiml } from '../../sim/twilio/twiml';
import { mediaStreamUrl } from '../../lib/media-stream';

describe('Twilio status rules', () => {
  it('orders statuses so only forward moves apply', () => {
    const order = ['queued', 'initiated', 'ringing', 'in-progress', 'completed'].map((s) => providerRank(s)!);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const f of ['completed', 'busy', 'no-answer', 'failed', 'canceled']) expect(isProviderFinal(f)).toBe(true);
    expect(providerRank('bogus')).toBeUndefined();
  });
  it('maps unanswered finals to terminal statuses', () => {
    expect(['busy', 'no-answer', 'canceled', 'failed'].map(unansweredTerminal)).toEqual([
      'busy',
      'no_answer',
      'no_answer',
      'failed',
    ]);
    expect(finalImpliesAnswer('completed')).toBe(true);
    expect(finalImpliesAnswer('busy')).toBe(false);
  });
  it('recognises machines', () => {
    expect(['machine_start', 'machine_end_beep', 'machine_end_silence', 'fax'].every(isMachine)).toBe(true);
    expect(['human', 'unknown', undefined].some(isMachine)).toBe(false);
  });
});

describe('Twilio error classification', () => {
  const err = (status: number | undefined, code?: number) => classifyTwilioError(Object.assign(new Error('x'), { status, code }));
  it.each([
    [400, 21211, 'invalid_number', false],
    [400, 21214, 'invalid_number', false],
    [400, 13224, 'invalid_number', false],
    [400, 21215, 'destination_blocked', false],
    [401, 20003, 'account', false],
    [400, 21210, 'account', false],
    [403, 20005, 'account', false],
    [429, 20429, 'rate_limited', true],
    [503, 20500, 'unavailable', true],
    [502, undefined, 'unavailable', true],
    [400, 21205, 'rejected', false],
    [undefined, undefined, 'unavailable', true],
  ])('HTTP %s code %s → %s (retryable %s)', (status, code, kind, retryable) => {
    const e = err(status, code);
    expect([e.kind, e.retryable]).toEqual([kind, retryable]);
  });
});

describe('TwiML', () => {
  it('carries callId and token as <Parameter>s, escaped, and the simulator reads them back', () => {
    const xml = streamTwiml({ callId: 'c-1', streamUrl: 'wss://m.example/twilio/stream', streamToken: 'a&b"<c>' });
    expect(xml).toContain('<Connect><Stream url="wss://m.example/twilio/stream">');
    expect(parseTwiml(xml)).toEqual({
      stream: { url: 'wss://m.example/twilio/stream', parameters: { callId: 'c-1', token: 'a&b"<c>' } },
      afterConnect: '',
    });
  });
  it('puts the stream path on a bare media origin only', () => {
    expect(mediaStreamUrl('wss://media.example')).toBe('wss://media.example/twilio/stream');
    expect(mediaStreamUrl('wss://media.example/custom')).toBe('wss://media.example/custom');
  });
});
