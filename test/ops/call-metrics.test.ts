import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaEndedSignal, outcomeSignal } from '../../workflows/call/contract';
import { withWorker } from '../helpers/env';
import { attach, runCall, startCallHarness, testNumber, type CallHarness } from '../call/harness';

/** `name{labels} value` -> value (0 when the series is absent). */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};

let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 10_000_000 });
});
afterAll(async () => h?.close());

describe('metrics after simulated calls (callWorkflow, Twilio simulator, real activities)', () => {
  it('count terminal statuses, ledger operations and the provider 5xx the dialer saw; the API serves them', async () => {
    const scrape = async () => (await fetch(`${h.apiUrl}/metrics`)).text();
    const before = await scrape();
    const delta = (after: string, s: string) => sample(after, s) - sample(before, s);

    const [answered, busy] = [testNumber(), testNumber()];
    h.sim.scenario.numbers = { [answered]: { kind: 'answer', afterMs: 50 }, [busy]: { kind: 'busy' } };
    // The first create fails with a Twilio 5xx; the dial activity retries and succeeds.
    h.sim.faults.createErrors.push({ status: 503, code: 20503, message: 'Service unavailable' });
    h.gateway.set(answered, async (call, handle) => {
      await attach(handle, call.callSid, 'MZ1');
      await handle.signal(outcomeSignal, { result: 'interested' });
      await new Promise((r) => setTimeout(r, 1100));
      await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid: 'MZ1' });
    });
    const inputs = [h.input(answered, { maxDurationSec: 30 }), h.input(busy)];
    const results = await withWorker({ activities: h.activities }, (tq) => Promise.all(inputs.map((i) => runCall(h, tq, i))));
    expect(results.map((r) => r.result.status)).toEqual(['completed', 'busy']);

    const after = await scrape();
    expect(delta(after, 'aicall_calls_terminal_total{status="completed"}')).toBe(1);
    expect(delta(after, 'aicall_calls_terminal_total{status="busy"}')).toBe(1);
    expect(delta(after, 'aicall_ledger_operations_total{op="hold",result="ok"}')).toBe(2);
    expect(delta(after, 'aicall_ledger_operations_total{op="post",result="ok"}')).toBe(1);
    expect(delta(after, 'aicall_ledger_operations_total{op="void",result="ok"}')).toBe(1);
    expect(delta(after, 'aicall_provider_errors_total{vendor="twilio",code="20503"}')).toBe(1);
    const rows = await h.ctx
      .sql`select 1 from provider_errors where vendor = 'twilio' and code = '20503' and call_id in ${h.ctx.sql(inputs.map((i) => i.callId))}`;
    expect(rows.length).toBe(1);
  });
});
