import type { CalleeBehavior } from '../sim/twilio/scenario';
import type { SimControl } from './sim-control';
import { pool, type Rng } from './random';

/**
 * The tenants of a chaos or load run, set up the way a customer would: accounts and keys through
 * the admin API, credit through a Billplz top-up paid on the simulator's payment page (so the
 * ledger's credits are real top-ups), and one campaign per account through the API.
 */

export type CalleeKind = 'answer' | 'busy' | 'no-answer' | 'failed' | 'voicemail';
export const DEFAULT_MIX: Record<CalleeKind, number> = { answer: 55, busy: 12, 'no-answer': 10, failed: 8, voicemail: 15 };

export interface Tenant {
  accountId: string;
  key: string;
  topUpIds: string[];
  campaignId: string;
  contacts: { phone: string; kind: CalleeKind }[];
}

export interface WorkloadOptions {
  accounts: number;
  /** Contacts in total, spread round-robin over the accounts. */
  calls: number;
  rng: Rng;
  mix?: Record<CalleeKind, number>;
  /** Top-up per account in MYR sen (default RM 50). */
  topUpSen?: number;
  /** Per-campaign concurrency (default 5). */
  maxConcurrentCalls?: number;
  /** Longest an answered callee talks (ms, default 5 000). */
  maxTalkMs?: number;
  /** Requests in flight while setting up (default 8). */
  parallel?: number;
  /** First phone number index (distinct runs against one simulator use distinct ranges). */
  phoneBase?: number;
}

export class ApiClient {
  constructor(readonly baseUrl: string) {}

  /** One request; retried on connection errors and 5xx (the API may be restarting) with the same body and headers. */
  async call<T = any>(
    method: string,
    path: string,
    opts: { key: string; body?: unknown; headers?: Record<string, string>; retryForMs?: number },
  ): Promise<{ status: number; body: T }> {
    const deadline = Date.now() + (opts.retryForMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(this.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${opts.key}`,
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...opts.headers,
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status >= 500 && Date.now() < deadline) throw new Error(`${res.status} ${text}`);
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        return { status: res.status, body };
      } catch (err) {
        if (Date.now() >= deadline) throw new Error(`${method} ${path}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * 2 ** attempt)));
      }
    }
  }

  async ok<T = any>(
    method: string,
    path: string,
    opts: { key: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<T> {
    const r = await this.call<T>(method, path, opts);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

export function behaviorFor(kind: CalleeKind, rng: Rng, maxTalkMs: number): CalleeBehavior {
  switch (kind) {
    case 'answer':
      return { kind: 'answer', afterMs: rng.int(100, 1_500), hangupAfterMs: rng.int(500, maxTalkMs) };
    case 'busy':
      return { kind: 'busy', afterMs: rng.int(50, 800) };
    case 'no-answer':
      return { kind: 'no-answer' };
    case 'failed':
      return { kind: 'failed', afterMs: rng.int(50, 800) };
    case 'voicemail':
      return {
        kind: 'voicemail',
        afterMs: rng.int(200, 1_200),
        detectMs: rng.int(100, 600),
        hangupAfterMs: rng.int(1_000, maxTalkMs),
      };
  }
}

const agent = {
  systemPrompt: 'You are Aina, calling to confirm an appointment. Be brief and polite.',
  firstMessage: 'Hello, this is Aina calling about your appointment.',
  language: 'en-US',
  voiceId: 'sim-voice',
  llmModel: 'meta-llama/llama-3.1-70b-instruct',
};

/** Accounts, keys and paid top-ups; returns the tenants without campaigns yet. */
export async function createTenants(
  api: ApiClient,
  adminKey: string,
  o: WorkloadOptions,
): Promise<Omit<Tenant, 'campaignId' | 'contacts'>[]> {
  const topUpSen = o.topUpSen ?? 5_000;
  return pool(
    Array.from({ length: o.accounts }, (_, i) => i),
    o.parallel ?? 8,
    async (i) => {
      const acct = await api.ok<{ id: string }>('POST', '/v1/admin/accounts', {
        key: adminKey,
        body: { name: `chaos tenant ${i + 1}`, billingEmail: `tenant${i + 1}@chaos.example`, maxConcurrentCalls: 50 },
      });
      const { key } = await api.ok<{ key: string }>('POST', `/v1/admin/accounts/${acct.id}/keys`, {
        key: adminKey,
        body: { label: 'chaos' },
      });
      const topUpId = await payTopUp(api, key, topUpSen, `chaos-initial-${acct.id}`);
      return { accountId: acct.id, key, topUpIds: [topUpId] };
    },
  );
}

/** A top-up paid on the Billplz simulator's page, waited for until the API reports it paid. */
export async function payTopUp(api: ApiClient, key: string, amountSen: number, idempotencyKey: string): Promise<string> {
  const t = await api.ok<{ id: string; paymentUrl: string | null; status: string }>('POST', '/v1/credits/topups', {
    key,
    body: { amount: amountSen },
    headers: { 'idempotency-key': idempotencyKey },
  });
  if (!t.paymentUrl) throw new Error(`top-up ${t.id} has no payment URL (status ${t.status})`);
  const paid = await fetch(`${t.paymentUrl}/pay`, { method: 'POST', redirect: 'manual' });
  if (paid.status !== 302) throw new Error(`paying top-up ${t.id}: simulator answered ${paid.status}`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const s = await api.ok<{ status: string }>('GET', `/v1/credits/topups/${t.id}`, { key });
    if (s.status === 'paid') return t.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`top-up ${t.id} not paid within 60 s`);
}

/**
 * One campaign per tenant with its share of the contacts, each contact's callee behaviour drawn
 * from the mix and registered with the Twilio simulator. Not started.
 */
export async function createCampaigns(
  api: ApiClient,
  twilio: SimControl,
  tenants: Omit<Tenant, 'campaignId' | 'contacts'>[],
  o: WorkloadOptions,
): Promise<Tenant[]> {
  const mix = o.mix ?? DEFAULT_MIX;
  const maxTalkMs = o.maxTalkMs ?? 5_000;
  const base = o.phoneBase ?? 1_000_000;
  const perTenant = tenants.map(() => [] as { phone: string; kind: CalleeKind }[]);
  const numbers: Record<string, CalleeBehavior> = {};
  for (let i = 0; i < o.calls; i++) {
    const kind = o.rng.weighted(mix);
    const phone = `+6012${String(base + i).padStart(7, '0')}`;
    perTenant[i % tenants.length]!.push({ phone, kind });
    numbers[phone] = behaviorFor(kind, o.rng, maxTalkMs);
  }
  await twilio.setScenario({ numbers });
  return pool(tenants, o.parallel ?? 8, async (t, i) => {
    const contacts = perTenant[i]!;
    const { campaign, contacts: report } = await api.ok<{ campaign: { id: string }; contacts: { accepted: number } }>(
      'POST',
      '/v1/campaigns',
      {
        key: t.key,
        body: {
          name: `chaos campaign ${i + 1}`,
          agent,
          settings: {
            maxConcurrentCalls: o.maxConcurrentCalls ?? 5,
            retry: { maxAttempts: 2, backoffSec: 1, retryOn: ['no_answer', 'busy'] },
            maxDurationSec: 10,
            ringTimeoutSec: 5,
            voicemailPolicy: 'hangup',
          },
          contacts: contacts.map((c) => ({ phone: c.phone })),
        },
      },
    );
    if (report.accepted !== contacts.length)
      throw new Error(`campaign ${campaign.id}: ${report.accepted} of ${contacts.length} contacts accepted`);
    return { ...t, campaignId: campaign.id, contacts };
  });
}

export async function startCampaigns(api: ApiClient, tenants: Tenant[], parallel = 8): Promise<void> {
  await pool(tenants, parallel, async (t) => {
    await api.ok('POST', `/v1/campaigns/${t.campaignId}/start`, { key: t.key });
  });
}
