import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { CallActivities, CallQuote, FinishArgs } from '../../activities/call/types';
import { callActivitiesFromConfig } from '../../activities/call';
import { loadPriceList } from '../../lib/pricing';
import { testLogger } from '../helpers/env';
import { charge, startCallHarness, testNumber, type CallHarness } from './harness';

let h: CallHarness;
let acts: CallActivities;
beforeAll(async () => {
  h = await startCallHarness({ credit: 5_000_000 });
  acts = h.activities as unknown as CallActivities;
});
afterAll(async () => h?.close());

async function heldCall(maxDurationSec: number, a: CallActivities = acts) {
  const input = h.input(testNumber(), { maxDurationSec });
  const { quote } = await a.callPrepare({ to: input.to, maxDurationSec });
  const begun = await a.callBegin({ input, toE164: input.to, quote });
  if (begun.outcome !== 'held') throw new Error(`not held: ${begun.outcome}`);
  return { callId: input.callId, input, quote, hold: begun };
}

const answered = (telephonySeconds: number, over: Partial<NonNullable<FinishArgs['ending']['answered']>> = {}) => ({
  answeredAt: new Date(Date.now() - telephonySeconds * 1000).toISOString(),
  endedAt: new Date().toISOString(),
  telephonySeconds,
  usage: { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
  transcript: [],
  ...over,
});

describe('the money step (callFinish) is idempotent and atomic', () => {
  it('settling twice (a retry racing the first) posts once and returns the same charge', async () => {
    const before = await h.ledger.balance(h.accountId);
    const { callId, quote, hold } = await heldCall(120);
    expect(hold.amountMicro).toBe(charge(120, 120));
    const args: FinishArgs = {
      callId,
      accountId: h.accountId,
      maxDurationSec: 120,
      quote,
      callSid: `CA${randomUUID().replace(/-/g, '')}`,
      ending: {
        status: 'completed',
        answered: answered(75, {
          usage: { sttAudioMs: 40_000, promptTokens: 2_000, completionTokens: 300, ttsCharacters: 900 },
          transcript: [{ seq: 1, role: 'agent', text: 'hello' }],
        }),
      },
    };
    const [a, b] = await Promise.all([acts.callFinish(args), acts.callFinish(args)]);
    expect(a.chargedMicro).toBe(charge(75, 120)); // 78 s under the 60/6 rule
    expect(a.billedSeconds).toBe(78);
    expect(a.durationSec).toBe(75);
    expect([b.chargedMicro, b.providerCostMicro]).toEqual([a.chargedMicro, a.providerCostMicro]);
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'post']);
    const after = await h.ledger.balance(h.accountId);
    expect(before.availableMicro - after.availableMicro).toBe(a.chargedMicro);
    expect(after.heldMicro).toBe(before.heldMicro);
    const [cost] = await h.ctx.sql<
      {
        charged_amount: number;
        total_provider_cost: number;
        profit_margin: number;
        price_list_version: string;
        billed_seconds: number;
      }[]
    >`
      select charged_amount, total_provider_cost, profit_margin, price_list_version, billed_seconds from call_costs where call_id = ${callId}`;
    expect(cost).toMatchObject({
      charged_amount: a.chargedMicro,
      billed_seconds: 78,
      price_list_version: quote.priceList.version,
    });
    expect(cost!.profit_margin).toBe(cost!.charged_amount - cost!.total_provider_cost);
    expect(cost!.profit_margin).toBeGreaterThan(0);
  });

  it('voiding twice releases once; a call whose hold was never taken has nothing to release', async () => {
    const before = await h.ledger.balance(h.accountId);
    const { callId, quote } = await heldCall(60);
    const args: FinishArgs = { callId, accountId: h.accountId, maxDurationSec: 60, quote, ending: { status: 'busy' } };
    await Promise.all([acts.callFinish(args), acts.callFinish(args)]);
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'void']);
    expect(await h.ledger.balance(h.accountId)).toEqual(before);
    const none = randomUUID();
    expect(
      await acts.callFinish({
        callId: none,
        accountId: h.accountId,
        maxDurationSec: 60,
        ending: { status: 'insufficient_credits' },
      }),
    ).toMatchObject({ chargedMicro: 0, releasedMicro: 0 });
    expect(await h.ledgerOps(none)).toEqual([]);
  });

  it('an overlong call is charged for its maximum only, never past the hold', async () => {
    const { callId, quote, hold } = await heldCall(90);
    const r = await acts.callFinish({
      callId,
      accountId: h.accountId,
      maxDurationSec: 90,
      quote,
      ending: { status: 'completed', endReason: 'max_duration', answered: answered(150) },
    });
    expect(r.chargedMicro).toBe(hold.amountMicro);
    expect(r.durationSec).toBe(90);
    const [row] = await h.ctx.sql<
      { end_reason: string; duration_sec: number }[]
    >`select end_reason, duration_sec from calls where id = ${callId}`;
    expect(row).toEqual({ end_reason: 'max_duration', duration_sec: 90 });
  });
});

describe('defect 3: a retried hold under a changed price list', () => {
  it('the hold committed, its reply was lost, PRICE_LIST_JSON changed, the retry runs: the same hold, no stranded credit', async () => {
    const before = await h.ledger.balance(h.accountId);
    const { callId, input, quote, hold } = await heldCall(120);
    // The retry runs on a worker started with another price list.
    const pricier = callActivitiesFromConfig({
      sql: h.ctx.sql,
      config: { ...h.config, PRICE_LIST_JSON: '{"chargeMicroPerMinute": 300000}' },
      log: testLogger(),
    }) as unknown as CallActivities;
    const { quote: newQuote } = await pricier.callPrepare({ to: input.to, maxDurationSec: 120 });
    expect(newQuote.holdMicro).not.toBe(quote.holdMicro); // what a recomputed hold would have asked for
    const retried = await pricier.callBegin({ input, toE164: input.to, quote });
    expect(retried).toMatchObject({ outcome: 'held', holdKey: hold.holdKey, amountMicro: hold.amountMicro });
    // And the money step on that worker settles against it: held once, posted once, nothing left held.
    await pricier.callFinish({
      callId,
      accountId: h.accountId,
      maxDurationSec: 120,
      quote,
      ending: { status: 'completed', answered: answered(10) },
    });
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'post']);
    const after = await h.ledger.balance(h.accountId);
    expect(after.heldMicro).toBe(before.heldMicro);
    expect(before.availableMicro - after.availableMicro).toBe(charge(10, 120));
  });

  it('a recomputed amount under the same key is what the ledger refuses: the reason the quote is fixed', async () => {
    const { input, quote } = await heldCall(120);
    const changed: CallQuote = { priceList: loadPriceList('{"chargeMicroPerMinute": 300000}'), holdMicro: quote.holdMicro + 1 };
    await expect(acts.callBegin({ input, toE164: input.to, quote: changed })).rejects.toThrow(
      /IdempotencyKeyReused|already used/,
    );
  });
});

describe('defect 2: text Postgres cannot store never blocks a settlement', () => {
  const NUL = '\u0000';
  const LONE = '\ud800';

  it('a NUL and a lone surrogate in the transcript and the outcome notes: cleaned at the boundary, settled normally', async () => {
    const { callId, quote } = await heldCall(60);
    const r = await acts.callFinish({
      callId,
      accountId: h.accountId,
      maxDurationSec: 60,
      quote,
      ending: {
        status: 'completed',
        answered: answered(20, {
          outcome: { result: 'interested', notes: `wants a call${NUL} back ${LONE}soon`, data: { [`k${NUL}`]: `v${LONE}` } },
          transcript: [
            { seq: 1, role: 'agent', text: 'Hello' },
            { seq: 2, role: 'caller', text: `Ya${NUL} saya ${LONE}berminat` },
          ],
        }),
      },
    });
    expect(r.chargedMicro).toBe(charge(20));
    const [row] = await h.ctx.sql<
      { status: string; outcome: { notes: string; data: Record<string, string> }; error: string | null }[]
    >`select status, outcome, error from calls where id = ${callId}`;
    expect(row!.status).toBe('completed');
    expect(row!.error).toBeNull();
    expect(row!.outcome.notes).toBe('wants a call back \ufffdsoon');
    expect(row!.outcome.data).toEqual({ k: 'v\ufffd' });
    const turns = await h.ctx.sql<{ text: string }[]>`select text from transcript_turns where call_id = ${callId} order by seq`;
    expect(turns.map((t) => t.text)).toEqual(['Hello', 'Ya saya \ufffdberminat']);
  });

  it('content the database still refuses (a data error): the money is settled without transcript and outcome, and the call says why', async () => {
    const { callId, quote } = await heldCall(60);
    const r = await acts.callFinish({
      callId,
      accountId: h.accountId,
      maxDurationSec: 60,
      quote,
      ending: {
        status: 'completed',
        answered: answered(30, {
          outcome: { result: 'interested' },
          transcript: [{ seq: 1, role: 'agent', text: 'Hello', atMs: 3_000_000_000 }],
        }), // past a 32-bit integer: 22003
      },
    });
    expect(r.chargedMicro).toBe(charge(30));
    expect(await h.ledgerOps(callId)).toEqual(['hold', 'post']);
    const [row] = await h.ctx.sql<
      { status: string; terminal: boolean; outcome: unknown; error: string }[]
    >`select status, terminal, outcome, error from calls where id = ${callId}`;
    expect(row).toMatchObject({ status: 'completed', terminal: true, outcome: null });
    expect(row!.error).toMatch(/transcript and outcome not stored: SQLSTATE 22003/);
    expect(await h.ctx.sql`select 1 from transcript_turns where call_id = ${callId}`).toHaveLength(0);
    expect((await h.ctx.sql`select 1 from call_costs where call_id = ${callId}`).length).toBe(1);
  });
});
