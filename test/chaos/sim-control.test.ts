import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioSim, type TwilioSim } from '../../sim/twilio/server';
import { createTwilioTelephony } from '../../providers/twilio/adapter';
import { SimControl } from '../../chaos/sim-control';

/** The Twilio simulator's control routes, as a driver in another process uses them (npm run chaos / load). */
let sim: TwilioSim;
let ctl: SimControl;
beforeAll(async () => {
  sim = await startTwilioSim();
  ctl = new SimControl(sim.url);
});
afterAll(async () => sim?.close());

const telephony = () =>
  createTwilioTelephony({ accountSid: sim.accountSid, authToken: sim.authToken, fromNumber: '+15005550006', apiBase: sim.url });
const callId = '0b7c9f0e-6f43-4c1e-9a57-3c2d1e0f9a11';
const dial = (to: string) =>
  telephony().dial({
    callId,
    to,
    from: '+15005550006',
    streamUrl: 'wss://media.example/twilio/stream',
    streamToken: 't',
    statusCallbackUrl: `http://127.0.0.1:9/webhooks/twilio/status?callId=${callId}`,
    ringTimeoutSec: 1,
    timeLimitSec: 60,
    machineDetection: false,
  });

describe('Twilio simulator control routes (/__sim/)', () => {
  it('sets fault switches that the REST API then obeys, and reports them', async () => {
    expect(await ctl.setFaults({ createErrors: [{ status: 503 }], duplicateCallbacks: true })).toMatchObject({
      createErrors: [{ status: 503 }],
      duplicateCallbacks: true,
      dropStatuses: [],
    });
    await expect(dial('+15550001001')).rejects.toMatchObject({ kind: 'unavailable', httpStatus: 503 });
    expect((await ctl.faults()).createErrors).toEqual([]);
    await ctl.setFaults({ duplicateCallbacks: false });
    expect(sim.faults.duplicateCallbacks).toBe(false);
  });

  it('registers callee behaviour per number and lists creates and calls with the callId from the callback URL', async () => {
    await ctl.setScenario({ numbers: { '+15550001002': { kind: 'busy', afterMs: 10 } } });
    const { callSid } = await dial('+15550001002');
    await sim.waitForEnd(callSid, 5_000);
    const creates = await ctl.creates();
    expect(creates.filter((c) => c.to === '+15550001002')).toEqual([
      expect.objectContaining({ outcome: 'created', callSid, callId, status: 201 }),
    ]);
    expect(creates.find((c) => c.to === '+15550001001')).toMatchObject({ outcome: 'error', status: 503, callSid: null });
    expect((await ctl.calls()).find((c) => c.sid === callSid)).toMatchObject({ status: 'busy', duration: 0, callId });
  });

  it('refuses bad input with 400 and the reason; unknown routes are 404', async () => {
    const put = (what: string, body: string) =>
      fetch(`${sim.url}/__sim/${what}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    const bad = await put('faults', JSON.stringify({ dropCreateResponses: -1 }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'validation_failed',
      message: expect.stringContaining('dropCreateResponses'),
    });
    expect((await put('faults', JSON.stringify({ nonsense: true }))).status).toBe(400);
    expect((await put('scenario', JSON.stringify({ numbers: { '+1': { kind: 'teleport' } } }))).status).toBe(400);
    expect((await put('faults', '{not json')).status).toBe(400);
    expect((await fetch(`${sim.url}/__sim/nothing`)).status).toBe(404);
    expect(sim.faults.dropCreateResponses).toBe(0);
  });
});
