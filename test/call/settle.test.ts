import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { CallActivities, SettleArgs } from '../../activities/call/types';
import { charge, startCallHarness, testNumber, type CallHarness } from './harness';

let h: CallHarness;
let acts: CallActivities;
beforeAll(async () => {
  h = await startCallHarness({ credit: 5_000_000 });
  acts = h.activities as unknown as CallActivities;
});
afterAll(async () => h?.close());

async function heldCall(maxDurationSec: number) {
  const callId = randomUUID();
  const { agent: _a, ...input } = h.input(testNumber(), { callId, maxDurationSec });
  await acts.callBegin({ input, toE164: input.to });
  const hold = await acts.callHold({ callId, accountId: h.accountId, maxDurationSec });
  return { callId, hold };
}

describe('settlement and void are idempotent and atomic', () => {
  it('settling twice (a retry racing the first) posts once and returns the same charge', async () => {
    const before = await h.ledger.balance(h.accountId);
    const { callId, hold } = await heldCall(120);
    expect(hold.amountMicro).toBe(charge(120));
    const args: SettleArgs = {
      callId,
      accountId: h.accountId,
      holdKey: hold.holdKey,
      status: 'completed',
      callSid: `CA${randomUUID().replace(/-/g, '')}`,
      answeredAt: new Date(Date.now() - 45_000).toISOString(),
      endedAt: new Date().toISOString(),
      billedSeconds: 45,
      telephonySeconds: 45,
      usage: { sttAudioMs: 40_000, promptTokens: 2_000, completionTokens: 300, ttsCharacters: 900 },
      transcript: [{ seq: 1, role: 'agent', text: 'hello' }],
    };
    const [a, b] = await Promise.all([acts.callSettle(args), acts.callSettle(args)]);
    expect(a.chargedMicro).toBe(charge(45));
    expect(b.chargedMicro).toBe(a.chargedMicro);
    expect(b.providerCostMicro).toBe(a.providerCostMicro);
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'post']);
    const after = await h.ledger.balance(h.accountId);
    expect(before.availableMicro - after.availableMicro).toBe(charge(45));
    expect(after.heldMicro).toBe(before.heldMicro);
    const [cost] = await h.ctx.sql<{ charged_amount: number; total_provider_cost: number; profit_margin: number; price_list_version: string }[]>`
      select charged_amount, total_provider_cost, profit_margin, price_list_version from call_costs where call_id = ${callId}`;
    expect(cost!.charged_amount).toBe(charge(45));
    expect(cost!.profit_margin).toBe(cost!.charged_amount - cost!.total_provider_cost);
    expect(cost!.total_provider_cost).toBeGreaterThan(0);
    expect(cost!.price_list_version).toMatch(/^pl_/);
  });

  it('voiding twice releases once', async () => {
    const before = await h.ledger.balance(h.accountId);
    const { callId, hold } = await heldCall(60);
    await Promise.all([
      acts.callFinishUnanswered({ callId, status: 'busy', holdKey: hold.holdKey }),
      acts.callFinishUnanswered({ callId, status: 'busy', holdKey: hold.holdKey }),
    ]);
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'void']);
    expect(await h.ledger.balance(h.accountId)).toEqual(before);
  });

  it('an overlong settlement is charged no more than the hold', async () => {
    const { callId, hold } = await heldCall(10);
    const r = await acts.callSettle({
      callId, accountId: h.accountId, holdKey: hold.holdKey, status: 'completed',
      answeredAt: new Date().toISOString(), endedAt: new Date().toISOString(),
      billedSeconds: 10, telephonySeconds: 70, usage: { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 }, transcript: [],
    });
    expect(r.chargedMicro).toBe(hold.amountMicro);
  });
});
