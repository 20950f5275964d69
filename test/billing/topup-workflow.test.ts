import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalTestServerPath } from '../../lib/temporal-bin';
import type { TopUpActivities } from '../../activities/topup';
import type { LedgerActivities } from '../../activities/ledger';
import { billCallbackSignal, type PaymentLink, type TopUpInput } from '../../workflows/topup/contract';

/**
 * topUpWorkflow on the time-skipping test server with stand-in activities: an outage of the
 * database at credit time lasts as long as it likes (its retries' back-off passes in milliseconds),
 * and Billplz can be asked before the bill expires. Issue 15, defect 5.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already
  }
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { AccountId: 2, CampaignId: 2, CallStatus: 2 },
  });
}, 120_000);
afterAll(async () => env?.teardown());

type Acts = Pick<
  TopUpActivities,
  'createTopUpBill' | 'topUpCreditAmount' | 'markTopUp' | 'topUpAskBillplz' | 'notifyCampaignsOfCredits'
> &
  Pick<LedgerActivities, 'ledgerCredit'>;

/** Stand-ins: the database is down for the first `outage` attempts of each write; Billplz says what `billPaid` says. */
function fakes(opts: { outage?: number; billPaid?: boolean }) {
  const attempts: Record<string, number> = {};
  const done: string[] = [];
  const flaky = (name: string) => {
    attempts[name] = (attempts[name] ?? 0) + 1;
    if (attempts[name]! <= (opts.outage ?? 0))
      throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:5432 (test)', 'Error');
  };
  const acts: Acts = {
    createTopUpBill: async () => ({ billId: 'bill1', url: 'https://billplz.example/bills/bill1' }),
    topUpCreditAmount: async () => ({ ok: true as const, reason: '', amountMicro: 2_250_000 }),
    ledgerCredit: async () => {
      flaky('credit');
      done.push('credit');
      return {} as never;
    },
    markTopUp: async ({ status }) => {
      flaky(`mark-${status}`);
      done.push(`mark-${status}`);
    },
    topUpAskBillplz: async () => (
      done.push('ask'),
      opts.billPaid ? { billId: 'bill1', paid: true, amountSen: 1_000, paidAt: '2026-12-05 09:00:00 +0800' } : null
    ),
    notifyCampaignsOfCredits: async () => (done.push('notify'), { notified: [] }),
  };
  return { acts, attempts, done };
}

async function run(
  acts: Acts,
  input: TopUpInput,
  during: (h: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>,
) {
  const taskQueue = `topup-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: acts,
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('topUpWorkflow', {
      taskQueue,
      workflowId: `topup/${input.topUpId}`,
      args: [input],
    });
    await during(handle);
    return (await handle.result()) as PaymentLink;
  });
}

const input = (ttlSec = 3_600): TopUpInput => ({ topUpId: randomUUID(), accountId: randomUUID(), ttlSec });

describe('topUpWorkflow (time-skipping server)', () => {
  it('a paid bill is credited and marked paid through a database outage far longer than 20 attempts', async () => {
    const { acts, attempts, done } = fakes({ outage: 30 });
    const result = await run(acts, input(), (h) =>
      h.signal(billCallbackSignal, { billId: 'bill1', paid: true, amountSen: 1_000 }),
    );
    expect(result.status).toBe('paid');
    expect(attempts.credit).toBe(31);
    expect(attempts['mark-paid']).toBe(31);
    expect(done).toEqual(['credit', 'mark-paid', 'notify']);
  });

  it('asks Billplz before expiring, and credits a bill whose callback was lost', async () => {
    const { acts, done } = fakes({ billPaid: true });
    const result = await run(acts, input(600), async () => {});
    expect(result).toMatchObject({ status: 'paid', billId: 'bill1' });
    expect(done).toEqual(['ask', 'credit', 'mark-paid', 'notify']);
  });

  it('expires a bill Billplz does not report paid', async () => {
    const { acts, done } = fakes({ billPaid: false });
    const result = await run(acts, input(600), async () => {});
    expect(result.status).toBe('expired');
    expect(done).toEqual(['ask', 'mark-expired']);
  });
});
