import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { conditionKeys, reconcileRule } from '../../lib/alerts/rules';
import { defaultPriceList } from '../../lib/pricing';

/** negative_margin: calls charged below their provider cost are an operator's alert. */
describe('negative_margin alert', () => {
  it('fires for an account with a call settled below cost, stays quiet for profitable calls, clears when the window holds none', async () => {
    const ctx = await testContext();
    const [losing, fine] = [await createTestAccount(ctx.sql), await createTestAccount(ctx.sql)];
    const settle = async (accountId: string, charged: number, provider: number) => {
      const callId = randomUUID();
      await ctx.sql`insert into calls (id, account_id, to_e164, status, terminal) values (${callId}, ${accountId}, '+14155550100', 'completed', true)`;
      const { version, ...prices } = defaultPriceList;
      await ctx.sql`
        insert into call_costs (call_id, account_id, price_list_version, price_list, azure_stt_cost, llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin)
        values (${callId}, ${accountId}, ${version}, ${ctx.sql.json(prices)}, 0, 0, ${provider - 20_500}, 20500, ${provider}, ${charged}, ${charged - provider})`;
      return callId;
    };
    const bad = await settle(losing.id, 200_000, 260_000);
    await settle(fine.id, 200_000, 60_000);
    const first = await reconcileRule(ctx.sql, 'negative_margin');
    expect(first.fired).toHaveLength(1);
    const [alert] = await ctx.sql<
      { account_id: string; payload: { calls: number; marginMicro: number; worstCallIds: string[] } }[]
    >`
      select account_id, payload from alerts where condition_key = ${conditionKeys.negativeMargin(losing.id)} and state = 'firing'`;
    expect(alert).toMatchObject({ account_id: losing.id, payload: { calls: 1, marginMicro: -60_000, worstCallIds: [bad] } });
    expect(await ctx.sql`select 1 from alerts where condition_key = ${conditionKeys.negativeMargin(fine.id)}`).toHaveLength(0);
    // Firing already: no second alert.
    expect((await reconcileRule(ctx.sql, 'negative_margin')).fired).toHaveLength(0);
    // Out of the window: cleared.
    await ctx.sql`update call_costs set created_at = now() - interval '2 hours' where call_id = ${bad}`;
    expect((await reconcileRule(ctx.sql, 'negative_margin')).cleared).toBeGreaterThanOrEqual(1);
  });
});
