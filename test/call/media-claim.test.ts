import { describe, expect, it } from 'vitest';
import { MEDIA_REFUSED, TERMINAL_STATUSES, type MediaAttachRequest } from '../../workflows/call/contract';
import { judgeAttach } from '../../workflows/call/media-claim';

/** The rule the call workflow's attachMedia validator applies (and the gateway tests' fake port). */
describe('media claim rule', () => {
  const req: MediaAttachRequest = { streamSid: 'MZa', callSid: 'CA1', attachId: 'a1', at: '2026-01-01T00:00:00Z' };
  const live = { status: 'in_progress' as const, callSid: 'CA1', over: false };

  it('the first stream takes the call, on a call that is still ringing as well (media is proof of answer)', () => {
    expect(judgeAttach(undefined, req, live)).toEqual({ ok: true, repeat: false });
    expect(judgeAttach(undefined, req, { status: 'ringing', over: false })).toEqual({ ok: true, repeat: false });
  });

  it('the holder asking again is answered again, even once the call is over (its first answer may have been lost)', () => {
    const claim = { streamSid: 'MZa', attachId: 'a1' };
    expect(judgeAttach(claim, req, live)).toEqual({ ok: true, repeat: true });
    expect(judgeAttach(claim, req, { ...live, over: true })).toEqual({ ok: true, repeat: true });
    expect(judgeAttach(claim, req, { ...live, status: 'completed' })).toEqual({ ok: true, repeat: true });
  });

  it('another stream, or the same streamSid from another socket (a replayed start), is refused', () => {
    const claim = { streamSid: 'MZa', attachId: 'a1' };
    expect(judgeAttach(claim, { ...req, streamSid: 'MZb', attachId: 'b1' }, live)).toMatchObject({
      ok: false,
      type: MEDIA_REFUSED.alreadyStreaming,
    });
    expect(judgeAttach(claim, { ...req, attachId: 'a2' }, live)).toMatchObject({
      ok: false,
      type: MEDIA_REFUSED.alreadyStreaming,
    });
  });

  it('a call that is ending or over takes no stream', () => {
    for (const status of ['settling', ...TERMINAL_STATUSES] as const) {
      expect(judgeAttach(undefined, req, { status, over: false }), status).toMatchObject({
        ok: false,
        type: MEDIA_REFUSED.callOver,
      });
    }
    expect(judgeAttach(undefined, req, { ...live, over: true })).toMatchObject({ ok: false, type: MEDIA_REFUSED.callOver });
  });

  it('a stream that names another Twilio call is refused', () => {
    expect(judgeAttach(undefined, { ...req, callSid: 'CA2' }, live)).toMatchObject({ ok: false, type: MEDIA_REFUSED.otherCall });
  });
});
