import { randomUUID } from 'node:crypto';
import { apiClient, ok, type Api } from './api';

export interface DemoAccount {
  accountId: string;
  apiKey: string;
  api: Api;
}

/** An account and a client API key, created through the admin API as an operator would. */
export async function createDemoAccount(
  origin: string,
  adminKey: string,
  opts: { maxConcurrentCalls: number },
): Promise<DemoAccount> {
  const admin = apiClient(origin, adminKey);
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const account = await ok(
    admin.POST('/v1/admin/accounts', {
      body: { name: `Demo ${stamp}`, billingEmail: 'billing@demo.aicall.example', maxConcurrentCalls: opts.maxConcurrentCalls },
    }),
  );
  const key = await ok(
    admin.POST('/v1/admin/accounts/{id}/keys', { params: { path: { id: account.id } }, body: { role: 'client', label: 'demo' } }),
  );
  if (!key.key) throw new Error('the API issued a key without its secret');
  return { accountId: account.id, apiKey: key.key, api: apiClient(origin, key.key) };
}

export interface TopUpResult {
  topUpId: string;
  billId: string;
  amountSen: number;
  creditMicro: number;
  paymentUrl: string;
}

/**
 * Tops the account up the way a client does, with the Billplz simulator standing in for the payer:
 * the API creates the bill (the top-up workflow returns its payment URL), the demo presses "Pay" on
 * the simulator's payment page, the simulator sends Billplz's signed callback to the API, and the
 * workflow credits the ledger. Resolves once the credit shows in the balance.
 */
export async function topUp(api: Api, amountSen: number, timeoutMs = 30_000): Promise<TopUpResult> {
  const t = await ok(
    api.POST('/v1/credits/topups', {
      body: { amount: amountSen },
      params: { header: { 'idempotency-key': `demo-${randomUUID()}` } },
    }),
  );
  if (!t.paymentUrl) throw new Error(`top-up ${t.id} has no payment URL`);
  const billId = new URL(t.paymentUrl).pathname.split('/').pop()!;
  const paid = await fetch(`${t.paymentUrl}/pay`, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  if (paid.status !== 302) throw new Error(`paying bill ${billId} on the Billplz simulator answered ${paid.status}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await ok(api.GET('/v1/credits/topups/{id}', { params: { path: { id: t.id } } }));
    if (now.status === 'paid') break;
    if (now.status === 'failed' || now.status === 'expired') throw new Error(`top-up ${t.id} ended ${now.status}`);
    if (Date.now() > deadline) throw new Error(`top-up ${t.id} still ${now.status} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { topUpId: t.id, billId, amountSen, creditMicro: t.credit, paymentUrl: t.paymentUrl };
}

export const balance = (api: Api) => ok(api.GET('/v1/credits'));
