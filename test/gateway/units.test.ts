import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClauseCutter } from '../../media-gateway/conversation/clauses';
import { isBackchannel } from '../../media-gateway/conversation/backchannel';
import { decideTool } from '../../media-gateway/conversation/tools';
import { SignalSender } from '../../media-gateway/signals/sender';
import { CallGoneError } from '../../media-gateway/signals/port';
import { mediaEndedSignal, transcriptSignal, usageSignal } from '../../workflows/call/contract';
import { parseInbound, ProtocolError, quickMediaPayload } from '../../media-gateway/stream/protocol';
import { END_OF_TURN_LEAD_MS, END_OF_TURN_MARGIN_MS, sttCanWait } from '../../media-gateway/conversation/stt-pacing';
import { FakeWorkflows, baseAgent } from './harness';
import { testLogger } from '../helpers/env';

const cutAll = (deltas: string[]) => {
  const c = new ClauseCutter();
  return [...deltas.flatMap((d) => c.push(d)), ...c.flush()];
};

describe('clause cutter', () => {
  it('cuts at sentence ends, and at clause marks once long enough', () => {
    expect(cutAll(['Hello there. How are', ' you today? Fine'])).toEqual(['Hello there.', 'How are you today?', 'Fine']);
    expect(cutAll(['It costs 3.5 ringgit, which is cheap.'])).toEqual(['It costs 3.5 ringgit,', 'which is cheap.']);
    expect(cutAll(['Hi, Dr. Tan is here.'])).toEqual(['Hi, Dr. Tan is here.']);
    expect(cutAll(['好的。我们明天见！'])).toEqual(['好的。', '我们明天见！']);
  });

  it('gives the same units however the text is split into deltas', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 20 }), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const deltas: string[] = [];
        let at = 0;
        for (const p of points) {
          deltas.push(text.slice(at, p));
          at = p;
        }
        deltas.push(text.slice(at));
        const units = cutAll(deltas);
        expect(units).toEqual(cutAll([text]));
        expect(units.join(' ').replace(/\s+/g, ' ').trim()).toBe(text.replace(/\s+/g, ' ').trim());
      }),
    );
  });
});

describe('back-channels', () => {
  it('short acknowledgements in several languages are back-channels; anything more is not', () => {
    for (const t of ['ok', 'Ok.', 'hmm', 'uh huh', 'Yeah.', 'ya', 'Okey', 'ya ya', 'baik', 'I see', '嗯'])
      expect(isBackchannel(t), t).toBe(true);
    for (const t of ['ok but wait', 'no', 'stop', 'who is this', 'yes I am interested', ''])
      expect(isBackchannel(t), t).toBe(false);
  });
});

describe('tools', () => {
  const agent = baseAgent({ transferNumber: '+60312345678' });
  it('record_outcome is validated against the campaign outcomes', () => {
    expect(decideTool(agent, 'record_outcome', '{"result":"interested","callbackAt":"2026-12-01T10:00:00+08:00"}')).toMatchObject(
      { kind: 'outcome', outcome: { result: 'interested', callbackAt: '2026-12-01T10:00:00+08:00' } },
    );
    expect(decideTool(agent, 'record_outcome', '{"result":"maybe"}')).toMatchObject({
      kind: 'refused',
      result: expect.stringContaining('one of interested'),
    });
    expect(decideTool(agent, 'record_outcome', '{"result":"callback","callbackAt":"tomorrow"}')).toMatchObject({
      kind: 'refused',
    });
    expect(decideTool(agent, 'record_outcome', 'not json')).toMatchObject({ kind: 'refused' });
  });
  it('transfer_call only ever goes to the campaign number', () => {
    expect(decideTool(agent, 'transfer_call', '{"to":"+15550001111"}')).toEqual({
      kind: 'transfer',
      to: '+60312345678',
      result: 'transferring',
    });
    expect(decideTool(baseAgent(), 'transfer_call', '{}')).toMatchObject({ kind: 'refused' });
    expect(decideTool(agent, 'drop_tables', '{}')).toMatchObject({ kind: 'refused' });
  });
});

describe('signal sender', () => {
  const log = testLogger();
  it('retries while Temporal is unreachable, keeps order, and sends only the newest queued usage', async () => {
    const wf = new FakeWorkflows();
    wf.views.set('c1', { callId: 'c1', accountId: 'a', status: 'in_progress', voicemailPolicy: 'hangup', agent: baseAgent() });
    wf.failSignals = 3;
    const s = new SignalSender(wf, 'c1', { log, baseDelayMs: 5 });
    s.send(transcriptSignal, { seq: 1, role: 'agent', text: 'hi' });
    s.send(usageSignal, { sttAudioMs: 1, promptTokens: 0, completionTokens: 0, ttsCharacters: 1 });
    s.send(usageSignal, { sttAudioMs: 2, promptTokens: 0, completionTokens: 0, ttsCharacters: 2 });
    s.send(mediaEndedSignal, { reason: 'end_call', at: 'now', streamSid: 'MZ1' });
    await s.flushed();
    expect(wf.of('c1').map((r) => [r.name, r.arg.sttAudioMs ?? r.arg.seq ?? r.arg.reason])).toEqual([
      ['transcript', 1],
      ['usage', 2],
      ['mediaEnded', 'end_call'],
    ]);
  });

  it('stops and reports when the workflow is gone', async () => {
    const wf = new FakeWorkflows();
    let gone: CallGoneError | undefined;
    const s = new SignalSender(wf, 'nope', { log, onGone: (e) => (gone = e) });
    s.send(transcriptSignal, { seq: 1, role: 'agent', text: 'hi' });
    s.send(transcriptSignal, { seq: 2, role: 'agent', text: 'hi' });
    await s.flushed();
    expect(gone).toBeInstanceOf(CallGoneError);
    expect(s.isGone).toBe(true);
  });
});

describe('protocol', () => {
  it('parses Twilio media frames on the fast path only when they are exactly that', () => {
    const f = JSON.stringify({
      event: 'media',
      sequenceNumber: '3',
      media: { track: 'inbound', chunk: '1', timestamp: '5', payload: 'f/8=' },
      streamSid: 'MZ1',
    });
    expect(quickMediaPayload(f)).toBe('f/8=');
    expect(quickMediaPayload(f.replace('inbound', 'outbound'))).toBeUndefined();
    expect(quickMediaPayload(f.replace('f/8=', 'f/8=\\"'))).toBeUndefined();
    expect(() => parseInbound('{"event":"media","media":{"payload":"%%"}}')).toThrow(ProtocolError);
    expect(parseInbound('{"event":"brand-new","x":1}')).toEqual({ event: 'unknown', name: 'brand-new' });
  });
});

describe('STT pacing', () => {
  const base = { voiced: false, sinceVoiceMs: Infinity, finalSinceVoice: false, agentBusy: false, segmentationSilenceMs: 300 };
  it('silence and speech nobody waits on can be held', () => {
    expect(sttCanWait(base)).toBe(true);
    expect(sttCanWait({ ...base, voiced: true, sinceVoiceMs: 0 })).toBe(true);
    expect(sttCanWait({ ...base, agentBusy: true })).toBe(true);
  });
  it('speech over the agent goes at once: its partial decides a barge-in', () => {
    expect(sttCanWait({ ...base, voiced: true, sinceVoiceMs: 0, agentBusy: true })).toBe(false);
  });
  it('around the end of the turn frames go at once until the final has come', () => {
    const at = (sinceVoiceMs: number, finalSinceVoice = false) => sttCanWait({ ...base, sinceVoiceMs, finalSinceVoice });
    expect(at(20)).toBe(true); // the service is still far from its segmentation point
    expect(at(300 - END_OF_TURN_LEAD_MS)).toBe(false);
    expect(at(300)).toBe(false);
    expect(at(300 + END_OF_TURN_MARGIN_MS)).toBe(false);
    expect(at(300 + END_OF_TURN_MARGIN_MS + 20)).toBe(true);
    expect(at(320, true)).toBe(true); // the final came: nothing waits on this audio any more
  });
});
