import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { campaignWorkflowId } from '../../lib/ids';
import { createCampaignActivities } from '../../activities/campaign';
import { createTopUpActivities } from '../../activities/topup';
import { createBillplzGateway } from '../../providers/billplz/adapter';
import { billplzSettings } from '../../providers/billplz/settings';
import { createLedger } from '../../lib/ledger';
import { withWorker, testLogger } from '../helpers/env';
import { waitFor } from '../helpers/wait';
import { createTestAccount } from '../helpers/accounts';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { startCallHarness, testNumber, priceList, type CallHarness } from '../call/harness';
import { billedSeconds, mulDivCeil } from '../../lib/pricing';
import { campaignInput, createCampaignRows, testSettings } from './harness';
import { progressQuery, type CampaignProgress } from '../../workflows/campaign/contract';

/**
 * Issue 15, defect 7: a campaign paused for insufficient credits resumes as soon as the available
 * balance covers a call again — whether settlements freed its own holds or a top-up landed — with
 * no missed wake-up when the top-up lands before the pause is stored. No test here resumes by hand.
 */
let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
  h.sim.scenario.numbers ??= {};
});
afterAll(() => h.close());

const campaignActs = () => createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client });
const topUpActs = () =>
  createTopUpActivities({
    sql: h.ctx.sql,
    log: testLogger(),
    gateway: createBillplzGateway(billplzSettings(h.config)),
    appOrigin: 'http://127.0.0.1:9',
    temporal: h.ctx.client,
  });
const answering = (n: number, talkMs: number) =>
  Array.from({ length: n }, () => {
    const p = testNumber();
    h.sim.scenario.numbers![p] = { kind: 'answer', afterMs: 50, hangupAfterMs: talkMs };
    return p;
  });
/** What one call holds: the charge of its whole maximum duration under the billing rule (lib/pricing). */
const holdOf = (maxDurationSec: number) =>
  mulDivCeil(
    billedSeconds(maxDurationSec, priceList.billingIncrementSec, priceList.minimumBilledSec),
    priceList.chargeMicroPerMinute,
    60,
  );
const HOLD = holdOf(testSettings().maxDurationSec);

async function expectAllCompleted(accountId: string, campaignId: string) {
  const contacts = await h.ctx.sql<
    { state: string; final_status: string }[]
  >`select state, final_status from contacts where campaign_id = ${campaignId}`;
  expect(contacts.every((c) => c.state === 'done' && c.final_status === 'completed')).toBe(true);
  expect(await createLedger(h.ctx.sql).balance(accountId)).toMatchObject({ held: 0 });
  expect(await ledgerViolations(h.ctx.sql, [accountId])).toEqual([]);
}

describe('insufficient-credits pause', () => {
  it('resumes by itself once the settlements of its own calls free enough credit', async () => {
    const { id: accountId } = await createTestAccount(h.ctx.sql);
    // Two holds fit, the third call is refused while they are up; once they settle, a call fits
    // again. A 5-minute maximum makes a hold far larger than a short call's charge (a minimum
    // billed time included), so the five calls' charges never eat the room for one hold.
    const settings = testSettings({ maxConcurrentCalls: 3, maxDurationSec: 300 });
    const hold = holdOf(settings.maxDurationSec);
    await createLedger(h.ctx.sql).credit({ accountId, amount: 2 * hold + hold / 2, key: `seed/${accountId}`, reason: 'test' });
    const phones = answering(5, 1_500);
    const { campaignId } = await createCampaignRows(h.ctx.sql, accountId, phones, settings);
    const result = (await withWorker({ activities: { ...h.activities, ...campaignActs() } }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, accountId, settings, tq)],
      }),
    )) as CampaignProgress;
    expect(result.status).toBe('completed');
    const refused = await h.ctx.sql`select 1 from calls where campaign_id = ${campaignId} and status = 'insufficient_credits'`;
    expect(refused.length).toBeGreaterThan(0); // it did pause
    expect(await h.ctx.sql`select kind from alerts where account_id = ${accountId}`).toEqual([{ kind: 'insufficient_credits' }]);
    await expectAllCompleted(accountId, campaignId);
  });

  it('a top-up wakes a stored pause (creditsAdded signal), while nothing else could', async () => {
    const { id: accountId } = await createTestAccount(h.ctx.sql);
    await createLedger(h.ctx.sql).credit({ accountId, amount: HOLD / 2, key: `seed/${accountId}`, reason: 'test' });
    const phones = answering(2, 300);
    const settings = testSettings({ maxConcurrentCalls: 2 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, accountId, phones, settings);
    await withWorker({ activities: { ...h.activities, ...campaignActs() } }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, accountId, settings, tq)],
      });
      await waitFor(
        async () =>
          (
            await h.ctx
              .sql`select 1 from campaigns where id = ${campaignId} and status = 'paused' and pause_reason = 'insufficient_credits'`
          ).length === 1,
      );
      await waitFor(async () => (await handle.query(progressQuery)).inFlight === 0);
      await new Promise((r) => setTimeout(r, 500));
      expect((await handle.query(progressQuery)).status).toBe('paused'); // half a hold: it stays paused
      // what the top-up workflow does after crediting
      await createLedger(h.ctx.sql).credit({
        accountId,
        amount: 10 * HOLD,
        key: `topup/${randomUUID()}:credit`,
        reason: 'top-up',
      });
      expect((await topUpActs().notifyCampaignsOfCredits({ accountId })).notified).toEqual([campaignId]);
      expect(((await handle.result()) as CampaignProgress).status).toBe('completed');
    });
    await expectAllCompleted(accountId, campaignId);
  });

  it('a top-up that lands before the pause is stored is not missed', async () => {
    const { id: accountId } = await createTestAccount(h.ctx.sql);
    await createLedger(h.ctx.sql).credit({ accountId, amount: HOLD / 2, key: `seed/${accountId}`, reason: 'test' });
    const phones = answering(2, 300);
    const settings = testSettings({ maxConcurrentCalls: 2 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, accountId, phones, settings);
    const acts = campaignActs();
    let toppedUp = false;
    // The race, made certain: the top-up (credit, then notify the paused campaigns) runs while the
    // campaign is about to store its pause, so it finds no paused campaign to notify.
    const campaignSetStatus: typeof acts.campaignSetStatus = async (args) => {
      if (args.pauseReason === 'insufficient_credits' && !toppedUp) {
        toppedUp = true;
        await createLedger(h.ctx.sql).credit({
          accountId,
          amount: 10 * HOLD,
          key: `topup/${randomUUID()}:credit`,
          reason: 'top-up',
        });
        expect((await topUpActs().notifyCampaignsOfCredits({ accountId })).notified).toEqual([]);
      }
      return acts.campaignSetStatus(args);
    };
    const result = (await withWorker({ activities: { ...h.activities, ...acts, campaignSetStatus } }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, accountId, settings, tq)],
      }),
    )) as CampaignProgress;
    expect(toppedUp).toBe(true);
    expect(result.status).toBe('completed');
    await expectAllCompleted(accountId, campaignId);
  });
});
