import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { testContext, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { send } from '../hostile/harness';
import { testAgent } from '../campaign/harness';
import { TWILIO_SIM_DEFAULTS } from '../../providers/twilio/settings';
import { BILLPLZ_SIM_DEFAULTS } from '../../providers/billplz/settings';
import { billplzSignature } from '../../providers/billplz/signature';
import { mintMediaToken } from '../../lib/media-token';

/**
 * Runs representative traffic through the API with logging at trace level into a buffer, then
 * looks for every secret the requests carried: API keys (valid, forged, admin), the vendor secrets
 * of the config, Twilio and Billplz signatures, a media token, full phone numbers and emails.
 */
const ADMIN_KEY = 'ak_admin_secret_never_logged_0123456789abcdefghij';
const MEDIA_SECRET = 'media-secret-never-logged-5f1c2a';
const PHONE = '+60123456789';
const PHONE_NATIONAL = '0123456789';
const CSV_PHONE = '+14155550123';
const EMAIL = 'billing.person@example.com';

let ctx: TestContext;
let url: string;
let close: () => Promise<void>;
const lines: string[] = [];

beforeAll(async () => {
  ctx = await testContext();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const config = {
    ...ctx.config,
    ADMIN_API_KEY: ADMIN_KEY,
    MEDIA_TOKEN_SECRET: MEDIA_SECRET,
    API_RATE_LIMIT_BURST: 10_000,
    API_RATE_LIMIT_PER_SEC: 10_000,
  };
  const app = createApp({ sql: ctx.sql, temporal: ctx.client, config, log: createLogger('api', 'trace', sink) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
});
afterAll(() => close());

describe('secrets and personal data never reach the logs', () => {
  it('representative requests log their lines, and none of the secrets they carried', async () => {
    const json = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    const secrets: string[] = [
      ADMIN_KEY,
      MEDIA_SECRET,
      TWILIO_SIM_DEFAULTS.authToken,
      BILLPLZ_SIM_DEFAULTS.xSignatureKey,
      BILLPLZ_SIM_DEFAULTS.apiKey,
    ];

    // admin: an account with a billing email, a key issued (the key is in the response only)
    const acct = await send(url, 'POST', '/v1/admin/accounts', {
      headers: json(ADMIN_KEY),
      body: JSON.stringify({ name: 'Logged Co', billingEmail: EMAIL }),
    });
    expect(acct.status).toBe(201);
    const issued = await send(url, 'POST', `/v1/admin/accounts/${acct.body.id}/keys`, { headers: json(ADMIN_KEY), body: '{}' });
    expect(issued.status).toBe(201);
    const key: string = issued.body.key;
    secrets.push(key);
    await send(url, 'GET', `/v1/admin/accounts/${acct.body.id}`, { headers: json(ADMIN_KEY) });

    // client: campaigns with phone numbers inline and as CSV, listings, bad requests, 404s
    const camp = await send(url, 'POST', '/v1/campaigns', {
      headers: json(key),
      body: JSON.stringify({
        name: 'c',
        agent: testAgent,
        contacts: [{ phone: PHONE, name: 'Aminah', variables: { email: EMAIL } }],
      }),
    });
    expect(camp.status).toBe(201);
    const cid = camp.body.campaign.id;
    await send(url, 'POST', `/v1/campaigns/${cid}/contacts`, {
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: `phone,name\n${CSV_PHONE},Bob\nnot-a-number,${PHONE}\n`,
    });
    await send(url, 'POST', `/v1/campaigns/${cid}/contacts`, {
      headers: json(key),
      body: `{"contacts":[{"phone":"${PHONE}","name":"\\u0000"}]}`,
    });
    await send(url, 'GET', `/v1/campaigns/${cid}`, { headers: json(key) });
    await send(url, 'GET', `/v1/campaigns/${cid}/calls?status=${encodeURIComponent(PHONE)}&cursor=${PHONE_NATIONAL}`, {
      headers: json(key),
    });
    await send(url, 'GET', `/v1/calls/${encodeURIComponent(PHONE)}`, { headers: json(key) });
    await send(url, 'GET', `/v1/credits/statement?cursor=${PHONE_NATIONAL}`, { headers: json(key) });
    await send(url, 'POST', '/v1/credits/topups', { headers: json(key), body: JSON.stringify({ amount: 1, email: EMAIL }) });

    // keys that do not authenticate, in both headers
    const forged = `ak_${'Z'.repeat(43)}`;
    secrets.push(forged);
    await send(url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${forged}` } });
    await send(url, 'GET', '/v1/credits', { headers: { 'x-api-key': forged } });

    // Twilio: forged and validly signed callbacks carrying a phone number
    const callId = randomUUID();
    const path = `/webhooks/twilio/status?callId=${callId}`;
    const fields = { CallSid: 'CA' + '1'.repeat(32), CallStatus: 'completed', To: PHONE, From: PHONE, Called: PHONE };
    const sig = twilio.getExpectedTwilioSignature(TWILIO_SIM_DEFAULTS.authToken, url + path, fields);
    secrets.push(sig);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await send(url, 'POST', path, {
      headers: { ...form, 'x-twilio-signature': 'forged'.padEnd(28, 'A') },
      body: new URLSearchParams(fields).toString(),
    });
    const signed = await send(url, 'POST', path, {
      headers: { ...form, 'x-twilio-signature': sig },
      body: new URLSearchParams(fields).toString(),
    });
    expect(signed.status).toBe(200);

    // Billplz: a forged callback and a signed one for a top-up whose amount does not match
    const a = await createTestAccount(ctx.sql);
    const topUpId = randomUUID();
    const billId = `log${topUpId.slice(0, 8)}`;
    await ctx.sql`insert into topups (id, account_id, amount_sen, micro_per_sen, credit_amount, status, bill_id, payer_email)
      values (${topUpId}, ${a.id}, 1000, 2250, 2250000, 'pending', ${billId}, ${EMAIL})`;
    const bill = {
      id: billId,
      collection_id: BILLPLZ_SIM_DEFAULTS.collectionId,
      paid: 'true',
      amount: '999',
      email: EMAIL,
      mobile: PHONE,
      name: 'Payer',
    };
    const xsig = billplzSignature(bill, BILLPLZ_SIM_DEFAULTS.xSignatureKey);
    secrets.push(xsig);
    await send(url, 'POST', '/webhooks/billplz', {
      headers: form,
      body: new URLSearchParams({ ...bill, x_signature: 'f'.repeat(64) }).toString(),
    });
    const mismatch = await send(url, 'POST', '/webhooks/billplz', {
      headers: form,
      body: new URLSearchParams({ ...bill, x_signature: xsig }).toString(),
    });
    expect(mismatch.status).toBe(400);
    await send(url, 'GET', `/billing/return?billplz[id]=${billId}&billplz[paid]=true&billplz[x_signature]=${xsig}`);

    // a media token in a query string: query strings are never logged
    const token = mintMediaToken(MEDIA_SECRET, callId, 60);
    secrets.push(token.split('.')[1]!);
    await send(url, 'GET', `/healthz?token=${token}`);

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(20); // the requests did log
    expect(log).toMatch(/"msg":"request"/);
    expect(log).toMatch(/twilio callback/);
    expect(log).toMatch(/billplz callback amount does not match/);
    for (const s of secrets) expect(log.includes(s), `secret ${s.slice(0, 6)}… found in the log`).toBe(false);
    for (const pii of [PHONE, PHONE.slice(1), PHONE_NATIONAL, CSV_PHONE, CSV_PHONE.slice(1), EMAIL, encodeURIComponent(PHONE)]) {
      expect(log.includes(pii), `${pii} found in the log:\n${lines.filter((l) => l.includes(pii)).join('')}`).toBe(false);
    }
  });
});
