import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createLedger } from '../../lib/ledger';
import { issueKey } from '../../lib/accounts';
import { testAgent } from '../campaign/harness';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRecordingStore } from '../../lib/recordings/local-store';
import { sqlRecordingCatalog } from '../../lib/recordings/catalog';
import { recordingKey } from '../../lib/recordings/store';
import { wavHeader } from '../../lib/recordings/wav';

/** Property runs per fuzz property; `FUZZ_RUNS=500 npm run fuzz` for a long run. */
export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 20));
export const ADMIN_KEY = 'ak_admin_hostile_tests_only_0123456789abcdef';

export interface Fixtures {
  a: { id: string; apiKey: string };
  b: { id: string; apiKey: string };
  /** a draft campaign of A without contacts: start is refused before Temporal is reached */
  emptyCampaignId: string;
  /** a draft campaign of A with one contact */
  campaignId: string;
  callId: string;
  topUpId: string;
  billId: string;
  /** an API key of A that the fuzz may revoke */
  spareKeyId: string;
  /** a webhook endpoint of A, and one the fuzz may delete */
  webhookEndpointId: string;
  spareWebhookEndpointId: string;
  /** a delivery of A's on a disabled endpoint: redelivery is refused before Temporal is reached */
  deliveryId: string;
}

/**
 * The real API on an ephemeral port (rate limit raised so the fuzz is not all 429s), two funded
 * accounts A and B, and one resource of A of every kind a route can name.
 */
export async function startHostileApi(over: Partial<TestContext['config']> = {}) {
  const ctx = await testContext();
  // WEBHOOK_ALLOW_PRIVATE_URLS: fuzzed endpoint URLs must not become DNS look-ups (loopback traffic only); nothing is delivered here.
  // The fixture call has a recording, in a directory of this run's own.
  const recordingsDir = await mkdtemp(join(tmpdir(), 'aicall-hostile-rec-'));
  const api = await startTestApi(ctx, {
    ADMIN_API_KEY: ADMIN_KEY,
    API_RATE_LIMIT_PER_SEC: 100_000,
    API_RATE_LIMIT_BURST: 100_000,
    WEBHOOK_ALLOW_PRIVATE_URLS: true,
    RECORDINGS_DIR: recordingsDir,
    ...over,
  });
  const fx = await createFixtures(ctx);
  await recordFixtureCall(ctx, recordingsDir, fx);
  return { ctx, api, fx };
}

export async function createFixtures(ctx: TestContext): Promise<Fixtures> {
  const { sql } = ctx;
  const a = (await createTestAccount(sql, { withKey: true })) as Fixtures['a'];
  const b = (await createTestAccount(sql, { withKey: true })) as Fixtures['b'];
  await sql`update accounts set billing_email = 'payer@example.com' where id in ${sql([a.id, b.id])}`;
  const ledger = createLedger(sql);
  for (const acct of [a, b])
    await ledger.credit({ accountId: acct.id, amount: 5_000_000, key: `hostile/${randomUUID()}`, reason: 'hostile fixture' });
  const campaign = async (contacts: number) => {
    const id = randomUUID();
    await sql`insert into campaigns (id, account_id, name, agent, settings, contact_count)
      values (${id}, ${a.id}, 'hostile', ${sql.json(testAgent as never)}, ${sql.json({ maxConcurrentCalls: 1, defaultRegion: 'MY' } as never)}, ${contacts})`;
    return id;
  };
  const emptyCampaignId = await campaign(0);
  const campaignId = await campaign(1);
  const contactId = randomUUID();
  await sql`insert into contacts (id, campaign_id, account_id, seq, phone_e164) values (${contactId}, ${campaignId}, ${a.id}, 1, '+60123456789')`;
  const callId = randomUUID();
  await sql`insert into calls (id, account_id, campaign_id, contact_id, to_e164, status) values (${callId}, ${a.id}, ${campaignId}, ${contactId}, '+60123456789', 'queued')`;
  const topUpId = randomUUID();
  const billId = `hb${topUpId.slice(0, 8)}`;
  await sql`insert into topups (id, account_id, amount_sen, micro_per_sen, credit_amount, status, bill_id, payer_email)
    values (${topUpId}, ${a.id}, 1000, 2250, 2250000, 'pending', ${billId}, 'payer@example.com')`;
  const spare = await issueKey(sql, { accountId: a.id, role: 'client', label: 'spare' });
  const endpoint = async (status: 'enabled' | 'disabled') => {
    const [row] = await sql<{ id: string }[]>`insert into webhook_endpoints (account_id, url, event_types, secret, status)
      values (${a.id}, 'https://hooks.example.com/aicall', ${['call.ended']}, 'whsec_aG9zdGlsZQ==', ${status}) returning id`;
    return row!.id;
  };
  const webhookEndpointId = await endpoint('enabled');
  const spareWebhookEndpointId = await endpoint('enabled');
  const disabledEndpointId = await endpoint('disabled');
  const eventId = `evt_hostile_${randomUUID()}`;
  await sql`insert into webhook_events (id, account_id, type, dedup_key, payload) values (${eventId}, ${a.id}, 'call.ended', ${eventId}, '{}')`;
  const [delivery] = await sql<
    { id: string }[]
  >`insert into webhook_deliveries (event_id, endpoint_id, status) values (${eventId}, ${disabledEndpointId}, 'endpoint_disabled') returning id`;
  return {
    a,
    b,
    emptyCampaignId,
    campaignId,
    callId,
    topUpId,
    billId,
    spareKeyId: spare.id,
    webhookEndpointId,
    spareWebhookEndpointId,
    deliveryId: delivery!.id,
  };
}

/** A stored recording (a second of µ-law silence) for the fixture call, so its recording route has audio to serve. */
async function recordFixtureCall(ctx: TestContext, dir: string, fx: Fixtures) {
  const file = join(dir, `${fx.callId}.part`);
  await writeFile(file, Buffer.concat([wavHeader(16_000), Buffer.alloc(16_000, 0xff)]));
  const key = recordingKey(fx.a.id, fx.callId);
  const catalog = sqlRecordingCatalog(ctx.sql);
  await catalog.started({ callId: fx.callId, accountId: fx.a.id, store: 'local', key });
  const { bytes } = await new LocalRecordingStore(dir).put(key, file);
  await catalog.stored(fx.callId, { bytes, durationMs: 1_000 });
}

export interface LedgerSnapshot {
  ops: number;
  balances: string;
  topups: string;
}

/** Everything money-related of the given accounts; equal snapshots mean nothing was written. */
export async function ledgerSnapshot(ctx: TestContext, accountIds: string[]): Promise<LedgerSnapshot> {
  const { sql } = ctx;
  const [ops] = await sql<
    { n: number }[]
  >`select count(*)::int as n from ledger_operations where account_id in ${sql(accountIds)}`;
  const bal = await sql<{ account_id: string; available: number; held: number }[]>`
    select account_id, available, held from ledger_balances where account_id in ${sql(accountIds)} order by account_id`;
  const tops = await sql<
    { id: string; status: string }[]
  >`select id, status from topups where account_id in ${sql(accountIds)} order by id`;
  return { ops: ops!.n, balances: JSON.stringify(bal), topups: JSON.stringify(tops) };
}

export async function expectLedgerUntouched(ctx: TestContext, accountIds: string[], before: LedgerSnapshot) {
  expect(await ledgerSnapshot(ctx, accountIds)).toEqual(before);
  expect(await ledgerViolations(ctx.sql, accountIds)).toEqual([]);
}

export interface Reply {
  status: number;
  body: any;
  text: string;
  contentType: string;
}

/**
 * What every rejection must look like: a 4xx (never a 5xx), JSON `{ error, message }` with a
 * machine code and a human reason. `ok` lists the statuses a route may legitimately answer.
 */
export function expectClear4xx(r: Reply, ctxInfo: unknown, ok: number[] = []) {
  const info = () => `${JSON.stringify(ctxInfo)?.slice(0, 500)} -> ${r.status} ${r.text.slice(0, 300)}`;
  if (ok.includes(r.status)) return;
  // Node's HTTP parser refuses request heads over 16 KB itself, before express, without a body
  if (r.status === 431) return;
  expect(r.status, info()).toBeGreaterThanOrEqual(400);
  expect(r.status, info()).toBeLessThan(500);
  expect(r.contentType, info()).toMatch(/^application\/json/);
  expect(typeof r.body?.error, info()).toBe('string');
  expect(typeof r.body?.message, info()).toBe('string');
  expect(r.body.message.length, info()).toBeGreaterThan(0);
}

/** A request through fetch (well-formed HTTP, any body bytes). */
export async function send(
  baseUrl: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Reply> {
  const res = await fetch(baseUrl + path, { method, headers: opts.headers, body: opts.body as string | undefined });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, contentType: res.headers.get('content-type') ?? '' };
}

/**
 * A request written byte for byte on a socket: for what fetch refuses to send (duplicate headers,
 * raw non-ASCII header bytes, a lying Content-Length). Resolves with the status, or 0 if the server
 * closed without answering.
 */
export function sendRaw(baseUrl: string, raw: Buffer | string, timeoutMs = 5_000): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    });
    sock.write(raw);
  });
}
