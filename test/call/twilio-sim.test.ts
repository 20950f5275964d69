import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { startTwilioSim, type TwilioSim, type AnsweredCall } from '../../sim/twilio/server';
import { createTwilioTelephony } from '../../providers/twilio/adapter';
import { TelephonyError } from '../../providers/twilio/errors';
import type { DialRequest } from '../../providers/types';

/** A bare HTTP receiver for the simulator's callbacks: records each with whether its signature verifies. */
async function callbackReceiver(authToken: string) {
  const received: { path: string; params: Record<string, string>; signatureOk: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const url = `${origin}${req.url}`;
      received.push({
        path: req.url!,
        params,
        signatureOk: twilio.validateRequest(authToken, String(req.headers['x-twilio-signature']), url, params),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let sim: TwilioSim;
let rx: Awaited<ReturnType<typeof callbackReceiver>>;
const answered: AnsweredCall[] = [];

beforeAll(async () => {
  sim = await startTwilioSim({
    onAnswered: async (c) => {
      answered.push(c);
      await new Promise<void>((r) => c.signal.addEventListener('abort', () => r()));
    },
  });
  rx = await callbackReceiver(sim.authToken);
});
afterAll(async () => {
  await sim.close();
  await rx.close();
});

const telephony = () =>
  createTwilioTelephony({ accountSid: sim.accountSid, authToken: sim.authToken, fromNumber: '+15005550006', apiBase: sim.url });
const req = (to: string, over: Partial<DialRequest> = {}): DialRequest => ({
  callId: '7d1f3c52-2a4e-4a0e-9d7c-1b2f3e4d5c6a',
  to,
  from: '+15005550006',
  streamUrl: 'wss://media.example/twilio/stream',
  streamToken: 'tok.en',
  statusCallbackUrl: `${rx.origin}/status?callId=7d1f3c52-2a4e-4a0e-9d7c-1b2f3e4d5c6a`,
  ringTimeoutSec: 1,
  timeLimitSec: 60,
  machineDetection: false,
  ...over,
});

describe('twilio adapter against the simulator (real twilio SDK)', () => {
  it('dials with inline <Connect><Stream> TwiML and gets signed, ordered status callbacks for the requested events only', async () => {
    sim.scenario.numbers = { '+15550001001': { kind: 'answer', afterMs: 30, hangupAfterMs: 1100 } };
    const { callSid } = await telephony().dial(req('+15550001001'));
    expect(callSid).toMatch(/^CA[0-9a-f]{32}$/);
    const created = sim.creates('+15550001001');
    expect(created).toHaveLength(1);
    expect(created[0]!.params.StatusCallbackEvent).toEqual(['answered', 'completed']);
    expect(created[0]!.params.Timeout).toBe('1');
    expect(created[0]!.params.TimeLimit).toBe('60');
    const end = await sim.waitForEnd(callSid);
    expect(end.status).toBe('completed');
    expect(answered.find((a) => a.callSid === callSid)).toMatchObject({
      streamUrl: 'wss://media.example/twilio/stream',
      parameters: { callId: '7d1f3c52-2a4e-4a0e-9d7c-1b2f3e4d5c6a', token: 'tok.en' },
    });
    const mine = rx.received.filter((r) => r.params.CallSid === callSid);
    // initiated and ringing are not requested (each callback is a billed signal), so never sent
    expect(mine.map((r) => r.params.CallStatus)).toEqual(['in-progress', 'completed']);
    expect(mine.every((r) => r.signatureOk)).toBe(true);
    expect(mine.map((r) => r.params.SequenceNumber)).toEqual(['0', '1']);
    expect(Number(mine[1]!.params.CallDuration)).toBeGreaterThanOrEqual(1);
  });

  it('plays busy, no-answer (after the ring timeout) and failed', async () => {
    sim.scenario.numbers = {
      '+15550001002': { kind: 'busy' },
      '+15550001003': { kind: 'no-answer' },
      '+15550001004': { kind: 'failed' },
    };
    const t = telephony();
    const sids = await Promise.all(
      ['+15550001002', '+15550001003', '+15550001004'].map(async (n) => (await t.dial(req(n))).callSid),
    );
    const ends = await Promise.all(sids.map((s) => sim.waitForEnd(s)));
    expect(ends.map((e) => e.status)).toEqual(['busy', 'no-answer', 'failed']);
    expect(ends.map((e) => e.duration)).toEqual([0, 0, 0]);
  });

  it('hangup ends a live call; hanging up an ended call is success', async () => {
    sim.scenario.numbers = { '+15550001005': { kind: 'answer', afterMs: 10 } };
    const t = telephony();
    const { callSid } = await t.dial(req('+15550001005'));
    await expect.poll(() => sim.call(callSid)?.status).toBe('in-progress');
    await t.hangup(callSid);
    expect((await sim.waitForEnd(callSid)).status).toBe('completed');
    await expect(t.hangup(callSid)).resolves.toBeUndefined();
  });

  it('async AMD: machine_start with Enable, machine_end_beep with DetectMessageEnd, posted to the AMD callback', async () => {
    sim.scenario.numbers = {
      '+15550001006': { kind: 'voicemail', afterMs: 10, detectMs: 20, greetingMs: 40, hangupAfterMs: 200 },
    };
    const t = telephony();
    const a = await t.dial(req('+15550001006', { machineDetection: true, amdStatusCallbackUrl: `${rx.origin}/amd?callId=x` }));
    const b = await t.dial(
      req('+15550001006', {
        machineDetection: true,
        machineDetectionMode: 'DetectMessageEnd',
        amdStatusCallbackUrl: `${rx.origin}/amd?callId=x`,
      }),
    );
    await Promise.all([sim.waitForEnd(a.callSid), sim.waitForEnd(b.callSid)]);
    const amd = (sid: string) => rx.received.find((r) => r.path.startsWith('/amd') && r.params.CallSid === sid);
    expect(amd(a.callSid)?.params.AnsweredBy).toBe('machine_start');
    expect(amd(b.callSid)?.params.AnsweredBy).toBe('machine_end_beep');
    expect(amd(a.callSid)?.signatureOk).toBe(true);
  });

  it('maps Twilio errors to typed failures', async () => {
    const t = telephony();
    sim.scenario.numbers = {
      '+15550001007': { kind: 'reject', status: 400, code: 21214, message: "'To' phone number cannot be reached" },
    };
    const kinds = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => undefined,
        (err) => err,
      );
      expect(e).toBeInstanceOf(TelephonyError);
      return [(e as TelephonyError).kind, (e as TelephonyError).retryable];
    };
    expect(await kinds(t.dial(req('+15550001007')))).toEqual(['invalid_number', false]);
    expect(await kinds(t.dial(req('12345')))).toEqual(['invalid_number', false]);
    sim.faults.createErrors.push({ status: 503 }, { status: 429 });
    expect(await kinds(t.dial(req('+15550001008')))).toEqual(['unavailable', true]);
    expect(await kinds(t.dial(req('+15550001008')))).toEqual(['rate_limited', true]);
    const wrongAuth = createTwilioTelephony({
      accountSid: sim.accountSid,
      authToken: 'nope',
      fromNumber: '+15005550006',
      apiBase: sim.url,
    });
    expect(await kinds(wrongAuth.dial(req('+15550001008')))).toEqual(['account', false]);
    // A lost response is a network error: retryable, though the call exists at the provider.
    sim.scenario.numbers['+15550001009'] = { kind: 'busy' };
    sim.faults.dropCreateResponses = 1;
    expect(await kinds(t.dial(req('+15550001009')))).toEqual(['unavailable', true]);
    const found = await t.findCalls({ to: '+15550001009', from: '+15005550006', createdAfter: new Date(Date.now() - 10_000) });
    expect(found).toHaveLength(1);
    expect(found[0]!.callSid).toBe(sim.creates('+15550001009')[0]!.callSid);
  });

  it('fetch returns the call resource; an unknown SID is a Twilio 404 error body', async () => {
    sim.scenario.numbers = { '+15550001011': { kind: 'busy' } };
    const { callSid } = await telephony().dial(req('+15550001011'));
    await sim.waitForEnd(callSid);
    const client = twilio(sim.accountSid, sim.authToken, {
      httpClient: {
        request: (o: { uri: string }) =>
          new twilio.RequestClient().request({ ...o, uri: o.uri.replace('https://api.twilio.com', sim.url) } as never),
      } as never,
    });
    const call = await client.calls(callSid).fetch();
    expect(call).toMatchObject({ sid: callSid, status: 'busy', to: '+15550001011', direction: 'outbound-api' });
    const err = await client
      .calls('CA' + '0'.repeat(32))
      .fetch()
      .catch((e) => e);
    expect(err).toMatchObject({ status: 404, code: 20404 });
  });

  it('delivers duplicated and reversed callbacks when asked (fault switches)', async () => {
    sim.scenario.numbers = { '+15550001010': { kind: 'answer', afterMs: 20, hangupAfterMs: 100 } };
    sim.faults.reverseCallbacks = true;
    const { callSid } = await telephony().dial(req('+15550001010'));
    await sim.waitForEnd(callSid);
    sim.faults.reverseCallbacks = false;
    expect(rx.received.filter((r) => r.params.CallSid === callSid).map((r) => r.params.CallStatus)).toEqual([
      'completed',
      'in-progress',
    ]);
  });
});
