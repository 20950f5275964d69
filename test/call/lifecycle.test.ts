import { describe, expect, it } from 'vitest';
import { CallLifecycle } from '../../workflows/call/lifecycle';
import { MEDIA_REFUSED, type CallInput } from '../../workflows/call/contract';

/** CallLifecycle directly: the call's rules without Temporal (the workflow only hands messages to it). */
const input = (over: Partial<CallInput> = {}): CallInput => ({
  callId: 'c1',
  accountId: 'a1',
  attempt: 1,
  to: '+14155550100',
  maxDurationSec: 60,
  ringTimeoutSec: 20,
  voicemailPolicy: 'hangup',
  agentId: 'ag_x',
  ...over,
});
const agent = { systemPrompt: 's', firstMessage: 'hi', language: 'en-US', voiceId: 'v', llmModel: 'm' };
const at = '2026-01-01T00:00:00Z';
const T0 = Date.parse(at);

function answeredCall(over: Partial<CallInput> = {}) {
  const call = new CallLifecycle(input(over));
  call.agent = agent;
  call.setStatus('dialing');
  call.dialed('CA1');
  call.onTelephonyStatus({ callSid: 'CA1', status: 'in-progress', sequenceNumber: 2, at }, T0);
  return call;
}

describe('CallLifecycle: status ranking', () => {
  it('applies callbacks only forward; a final status ends the call once; other SIDs are ignored', () => {
    const call = new CallLifecycle(input());
    call.setStatus('dialing');
    call.dialed('CA1');
    expect(call.state.status).toBe('ringing');
    expect(call.onTelephonyStatus({ callSid: 'CA2', status: 'completed', at }, T0)).toBe(false);
    call.onTelephonyStatus({ callSid: 'CA1', status: 'in-progress', at }, T0 + 1_000);
    call.onTelephonyStatus({ callSid: 'CA1', status: 'ringing', at }, T0 + 2_000); // late: ignored
    expect(call.answeredAtMs).toBe(T0 + 1_000);
    call.onTelephonyStatus({ callSid: 'CA1', status: 'completed', durationSec: 12, at }, T0 + 13_000);
    call.onTelephonyStatus({ callSid: 'CA1', status: 'busy', at }, T0 + 14_000); // after the end: ignored
    expect(call.providerFinal).toEqual({ status: 'completed', durationSec: 12 });
    expect(call.ending(T0 + 20_000)).toMatchObject({ status: 'completed', answered: { telephonySeconds: 12 } });
  });

  it('unanswered ends: busy, no answer after a cancel of a ringing call, canceled, unknown dial, and an early end', () => {
    const busy = new CallLifecycle(input());
    busy.dialed('CA1');
    busy.onTelephonyStatus({ callSid: 'CA1', status: 'busy', at }, T0);
    expect(busy.ending(T0)).toEqual({ status: 'busy' });
    const rang = new CallLifecycle(input());
    rang.dialed('CA1');
    rang.onTelephonyStatus({ callSid: 'CA1', status: 'canceled', at }, T0);
    expect(rang.ending(T0).status).toBe('no_answer');
    const canceled = new CallLifecycle(input());
    canceled.cancel();
    expect(canceled.ending(T0).status).toBe('canceled');
    expect(new CallLifecycle(input()).ending(T0)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/dial_outcome_unknown/),
    });
    const suppressed = new CallLifecycle(input());
    suppressed.end('suppressed');
    suppressed.end('failed'); // the first end stands
    expect(suppressed.ending(T0)).toEqual({ status: 'suppressed' });
    expect(suppressed.isOver()).toBe(true);
  });
});

describe('CallLifecycle: media claim', () => {
  const req = { streamSid: 'MZ1', callSid: 'CA1', attachId: 'x1', at };
  it('the first stream holds the call and answers it; another is refused; mediaEnded counts only from the holder', () => {
    const call = new CallLifecycle(input());
    call.agent = agent;
    call.setStatus('dialing');
    call.dialed('CA1');
    const first = call.attach(req, T0);
    expect(first).toMatchObject({ ok: true, repeat: false, view: { agent, voicemailPolicy: 'hangup', status: 'ringing' } });
    expect(call.answered()).toBe(true);
    expect(call.attach(req, T0 + 5)).toMatchObject({ ok: true, repeat: true });
    expect(call.attach({ ...req, streamSid: 'MZ2', attachId: 'x2' }, T0)).toMatchObject({
      ok: false,
      type: MEDIA_REFUSED.alreadyStreaming,
    });
    expect(call.onMediaEnded({ reason: 'voicemail_left', at, streamSid: 'MZ2' })).toBe(false);
    expect(call.awaitingMediaEnd()).toBe(true);
    expect(call.onMediaEnded({ reason: 'end_call', at, streamSid: 'MZ1' })).toBe(true);
    expect(call.awaitingMediaEnd()).toBe(false);
    expect(call.talkIsOver()).toBe(true);
  });
  it('no agent loaded (the call never began): no stream is served', () => {
    const call = new CallLifecycle(input());
    expect(call.attach(req, T0)).toMatchObject({ ok: false, type: MEDIA_REFUSED.callOver });
  });
});

describe('CallLifecycle: usage and transcript merge', () => {
  it('usage keeps each maximum; a transcript seq replaces; turns stay in order', () => {
    const call = answeredCall();
    call.onUsage({ sttAudioMs: 1500, promptTokens: 100, completionTokens: 20, ttsCharacters: 40, llmReportedCostMicro: 7 });
    call.onUsage({ sttAudioMs: 900, promptTokens: 150, completionTokens: 10, ttsCharacters: 10 });
    expect(call.state.usage).toEqual({
      sttAudioMs: 1500,
      promptTokens: 150,
      completionTokens: 20,
      ttsCharacters: 40,
      llmReportedCostMicro: 7,
    });
    call.onTranscript({ seq: 2, role: 'caller', text: 'Hi.' });
    call.onTranscript({ seq: 1, role: 'agent', text: 'Hello' });
    call.onTranscript({ seq: 2, role: 'caller', text: 'Hi there.' });
    expect(call.state.transcript.map((t) => t.text)).toEqual(['Hello', 'Hi there.']);
  });
});

describe('CallLifecycle: end conditions and end reasons', () => {
  it('a machine under policy hangup ends the call, status voicemail, end reason machine', () => {
    const call = answeredCall();
    call.onTelephonyStatus({ callSid: 'CA1', status: 'in-progress', answeredBy: 'machine_start', at }, T0 + 10);
    expect(call.hangupReason()).toBe('machine');
    call.hangingUp('machine', T0 + 3_000);
    expect(call.ending(T0 + 4_000)).toMatchObject({
      status: 'voicemail',
      endReason: 'machine',
      answered: { telephonySeconds: 3 },
    });
    // leave_message waits for the gateway instead.
    const lm = answeredCall({ voicemailPolicy: 'leave_message' });
    lm.onTelephonyStatus({ callSid: 'CA1', status: 'in-progress', answeredBy: 'machine_start', at }, T0 + 10);
    expect(lm.hangupReason()).toBeUndefined();
  });

  it('the maximum: hung up at the deadline, never counted past it', () => {
    const call = answeredCall();
    expect(call.deadlineMs()).toBe(T0 + 60_000);
    call.hangingUp('max_duration', T0 + 65_000);
    expect(call.ending(T0 + 70_000)).toMatchObject({
      status: 'completed',
      endReason: 'max_duration',
      error: 'max_duration_reached',
      answered: { telephonySeconds: 60 },
    });
  });

  it('defect 9: a media failure is stored as such; a plain end of the conversation is not an end reason', () => {
    const failedMedia = answeredCall();
    failedMedia.attach({ streamSid: 'MZ1', callSid: 'CA1', attachId: 'x', at }, T0);
    failedMedia.onMediaEnded({ reason: 'error', detail: 'stt down', at, streamSid: 'MZ1' });
    failedMedia.hangingUp(failedMedia.hangupReason()!, T0 + 5_000);
    expect(failedMedia.ending(T0 + 5_000)).toMatchObject({ status: 'completed', endReason: 'media_error' });
    const plain = answeredCall();
    plain.attach({ streamSid: 'MZ1', callSid: 'CA1', attachId: 'x', at }, T0);
    plain.onMediaEnded({ reason: 'end_call', at, streamSid: 'MZ1' });
    plain.hangingUp(plain.hangupReason()!, T0 + 5_000);
    expect(plain.ending(T0 + 5_000).endReason).toBeUndefined();
    const transfer = answeredCall();
    transfer.attach({ streamSid: 'MZ1', callSid: 'CA1', attachId: 'x', at }, T0);
    transfer.onMediaEnded({ reason: 'transfer', at, streamSid: 'MZ1' });
    expect(transfer.talkIsOver()).toBe(false); // the call stays up until the provider ends it
    transfer.onTelephonyStatus({ callSid: 'CA1', status: 'completed', durationSec: 30, at }, T0 + 30_000);
    expect(transfer.ending(T0 + 30_000).endReason).toBe('media_transfer');
  });

  it('a failure after the answer still settles what was used, marked abandoned', () => {
    const call = answeredCall();
    call.fail('boom');
    expect(call.ending(T0 + 8_000)).toMatchObject({
      status: 'completed',
      endReason: 'abandoned',
      error: 'boom',
      answered: { telephonySeconds: 8 },
    });
    const early = new CallLifecycle(input());
    early.fail('boom');
    expect(early.ending(T0)).toEqual({ status: 'failed', error: 'boom' });
  });
});
