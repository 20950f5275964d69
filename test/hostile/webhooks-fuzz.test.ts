import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import twilio from 'twilio';
import {
  FUZZ_RUNS,
  expectClear4xx,
  expectLedgerUntouched,
  ledgerSnapshot,
  send,
  sendRaw,
  startHostileApi,
  type LedgerSnapshot,
  type Reply,
} from './harness';
import { contentType, enc, nastyString, rawBody } from './arbitraries';
import { TWILIO_SIM_DEFAULTS } from '../../providers/twilio/settings';
import { BILLPLZ_SIM_DEFAULTS } from '../../providers/billplz/settings';
import { billplzSignature } from '../../providers/billplz/signature';

/**
 * The vendor webhooks: Twilio status/AMD callbacks and Billplz's payment callback and redirect.
 * Forged or missing signatures are 403; validly signed nonsense is a 4xx (or a 200 that Twilio or
 * Billplz must not retry); nothing is ever credited.
 */
let h: Awaited<ReturnType<typeof startHostileApi>>;
let before: LedgerSnapshot;
const accounts = () => [h.fx.a.id, h.fx.b.id];
const props = { numRuns: FUZZ_RUNS, endOnFailure: true };

beforeAll(async () => {
  h = await startHostileApi();
  before = await ledgerSnapshot(h.ctx, accounts());
});
afterAll(async () => {
  expect((await send(h.api.url, 'GET', '/healthz')).status).toBe(200);
  await expectLedgerUntouched(h.ctx, accounts(), before);
  expect((await h.ctx.sql`select status from topups where id = ${h.fx.topUpId}`)[0]!.status).toBe('pending');
  await h.api.close();
});

const form = (fields: [string, string][]) => {
  const usp = new URLSearchParams();
  for (const [k, v] of fields) usp.append(k, v);
  return usp.toString();
};
const formObject = (fields: [string, string][]) => {
  const o: Record<string, string | string[]> = {};
  for (const [k, v] of fields) o[k] = Object.hasOwn(o, k) ? ([] as string[]).concat(o[k]!, v) : v;
  return o;
};

const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
/** What a form can carry: URLSearchParams turns lone surrogates into U+FFFD, so sign that. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const twilioField = fc.oneof(
  fc.constantFrom('CallSid', 'CallStatus', 'SequenceNumber', 'CallDuration', 'AnsweredBy', 'Timestamp', 'AccountSid'),
  nastyString,
);
const twilioValue = fc.oneof(
  nastyString,
  fc.constantFrom(
    'CA' + '0'.repeat(32),
    'completed',
    'in-progress',
    'busy',
    'machine_end_beep',
    'human',
    '999999999999999999999',
    'Tue, 31 Feb 2026 25:61:00 +0000',
  ),
);
// Field names the form parser (qs, depth 0) rewrites or drops: '', brackets, __proto__. Twilio never
// sends them, and a signature over them fails closed (403), so the signed-nonsense case avoids them.
const formSafeKey = (k: string) => k !== '' && !/[[\]]/.test(k) && k !== '__proto__';
const twilioFields = fc.array(fc.tuple(twilioField.map(wellFormed).filter(formSafeKey), twilioValue.map(wellFormed)), {
  maxLength: 8,
});
const callIdQuery = fc.oneof(
  fc.constant(''),
  fc.uuid().map((u) => `?callId=${u}`),
  nastyString.map((s) => `?callId=${enc(s)}`),
  fc.tuple(fc.uuid(), fc.uuid()).map(([a, b]) => `?callId=${a}&callId=${b}`),
  fc.uuid().map((u) => `?callId[]=${u}`),
);
const twilioPath = fc.constantFrom('/webhooks/twilio/status', '/webhooks/twilio/amd');
const forgedSignature = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('', 'x', '='.repeat(28), 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='),
  fc.base64String({ minLength: 28, maxLength: 28 }),
  fc.string({ maxLength: 100 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);

describe('Twilio callbacks', () => {
  it('a missing or forged X-Twilio-Signature is 403 bad_signature, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(twilioPath, callIdQuery, twilioFields, forgedSignature, async (path, q, fields, sig) => {
        const r = await send(h.api.url, 'POST', path + q, {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(sig !== undefined ? { 'x-twilio-signature': sig } : {}),
          },
          body: form(fields),
        });
        expectClear4xx(r, { path, q, fields, sig });
        expect(r.status).toBe(403);
        expect(r.body.error).toBe('bad_signature');
      }),
      props,
    );
  });

  it('malformed bodies and wrong content types: a clear 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(twilioPath, callIdQuery, rawBody(), contentType, forgedSignature, async (path, q, body, ct, sig) => {
        const r = await send(h.api.url, 'POST', path + q, {
          headers: { ...(ct ? { 'content-type': ct } : {}), ...(sig !== undefined ? { 'x-twilio-signature': sig } : {}) },
          body,
        });
        expectClear4xx(r, { path, q, ct, body: body.slice(0, 100) });
      }),
      props,
    );
  });

  it('validly signed nonsense (bad callId, missing fields, odd values, repeats): 4xx, or 200 for a call that has no workflow', async () => {
    await fc.assert(
      fc.asyncProperty(twilioPath, callIdQuery, twilioFields, fc.boolean(), async (path, q, fields, withSid) => {
        const all: [string, string][] = withSid ? [['CallSid', 'CA' + 'f'.repeat(32)], ...fields] : fields;
        const url = `${h.api.url}${path}${q}`;
        const sig = twilio.getExpectedTwilioSignature(TWILIO_SIM_DEFAULTS.authToken, url, formObject(all));
        const r = await send(h.api.url, 'POST', path + q, {
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
          body: form(all),
        });
        expectClear4xx(r, { path, q, all }, [200]);
        expect(r.status, r.text).not.toBe(403); // the signature was right: the test signs like Twilio
      }),
      props,
    );
  });

  it('a forged signature with a Host header no URL can hold is 403, not a 500', async () => {
    for (const host of ['bad host[', '[::1', 'a b', 'x:99999999', '%', '@']) {
      const body = 'CallSid=CA1&CallStatus=completed';
      const raw =
        `POST /webhooks/twilio/status?callId=${randomUUID()} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
      const r = await sendRaw(h.api.url, raw);
      expect([400, 403], `${host}: ${r.text}`).toContain(r.status);
    }
  });
});

const billplzField = fc.oneof(
  fc.constantFrom(
    'id',
    'collection_id',
    'paid',
    'state',
    'amount',
    'paid_amount',
    'due_at',
    'email',
    'mobile',
    'name',
    'url',
    'paid_at',
    'x_signature',
  ),
  nastyString,
);
const billplzFields = (billIds: string[]) =>
  fc.array(
    fc.oneof(
      fc.tuple(billplzField.map(wellFormed).filter(formSafeKey), nastyString.map(wellFormed)),
      fc.tuple(fc.constant('id'), fc.constantFrom(...billIds, 'nosuchbill')),
      fc.tuple(fc.constant('collection_id'), fc.constantFrom(BILLPLZ_SIM_DEFAULTS.collectionId, 'othercoll')),
      fc.tuple(fc.constant('paid'), fc.constantFrom('true', 'false', 'TRUE', '1')),
      fc.tuple(fc.constant('amount'), fc.constantFrom('1000', '1000.00', '01000', '-1000', '99999999999999999999', '1e3')),
    ),
    { maxLength: 10 },
  );
/** A callback that would be a genuine payment of the fixture's bill: never part of the fuzz. */
const genuinePayment = (o: Record<string, string | string[]>, billId: string) =>
  o.id === billId && o.collection_id === BILLPLZ_SIM_DEFAULTS.collectionId && o.paid === 'true' && o.amount === '1000';

const postBillplz = (body: string, ct = 'application/x-www-form-urlencoded'): Promise<Reply> =>
  send(h.api.url, 'POST', '/webhooks/billplz', { headers: ct ? { 'content-type': ct } : {}, body });

describe('Billplz payment callback', () => {
  it('a missing, forged or repeated x_signature is 403 bad_signature and credits nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        billplzFields([h.fx.billId]),
        fc.oneof(fc.constant(undefined), hex64, nastyString),
        async (fields, sig) => {
          const all: [string, string][] = sig === undefined ? fields : [...fields, ['x_signature', sig]];
          const r = await postBillplz(form(all));
          expectClear4xx(r, { all });
          expect(r.status).toBe(403);
        },
      ),
      props,
    );
  });

  it('validly signed nonsense (unknown bill, other collection, wrong amount, unpaid): 4xx or an ignoring 200, never a credit', async () => {
    await fc.assert(
      fc.asyncProperty(billplzFields([h.fx.billId]), async (fields) => {
        const o = formObject(fields);
        fc.pre(!genuinePayment(o, h.fx.billId));
        // signing needs one value per field; repeats are covered by the forged case (they never verify)
        fc.pre(Object.values(o).every((v) => typeof v === 'string') && !('x_signature' in o));
        const signed = {
          ...(o as Record<string, string>),
          x_signature: billplzSignature(o as Record<string, string>, BILLPLZ_SIM_DEFAULTS.xSignatureKey),
        };
        const r = await postBillplz(new URLSearchParams(signed).toString());
        expectClear4xx(r, { signed }, [200]);
        if (r.status === 200) expect(r.body.ignored ?? r.body.already, r.text).toBeDefined();
      }),
      props,
    );
  });

  it('malformed bodies and wrong content types: a clear 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(rawBody(), contentType, async (body, ct) => {
        const r = await postBillplz(body, ct);
        expectClear4xx(r, { ct, body: body.slice(0, 100) });
      }),
      props,
    );
  });
});

describe('Billplz redirect back to /billing/return', () => {
  it('any query: an HTML page, 4xx for a link that does not verify, never a 5xx', async () => {
    const key = fc.oneof(
      fc.constantFrom('billplz[id]', 'billplz[paid]', 'billplz[paid_at]', 'billplz[x_signature]', 'billplz[]', 'billplz'),
      nastyString,
    );
    const value = fc.oneof(nastyString, fc.constantFrom(h.fx.billId, 'true', 'false'), hex64);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 6 }), fc.boolean(), async (pairs, signIt) => {
        let q = form(pairs);
        if (signIt) {
          const o = formObject(pairs);
          const fields: Record<string, string> = {};
          for (const [k, v] of Object.entries(o)) {
            const m = /^billplz\[([a-z_]+)\]$/.exec(k);
            if (m && m[1] !== 'x_signature' && typeof v === 'string') fields[`billplz${m[1]}`] = v;
          }
          q = form([
            ...pairs.filter(([k]) => k !== 'billplz[x_signature]'),
            ['billplz[x_signature]', billplzSignature(fields, BILLPLZ_SIM_DEFAULTS.xSignatureKey)],
          ]);
        }
        const r = await send(h.api.url, 'GET', `/billing/return${q ? `?${q}` : ''}`);
        expect(r.status, `${q} -> ${r.text.slice(0, 200)}`).toBeLessThan(500);
        if (r.status !== 431) {
          expect(r.contentType).toMatch(/^text\/html/);
          expect(r.text).toMatch(/<h1>[^<]+<\/h1>/);
          // nothing from the query is reflected into the page (no markup injection)
          expect(r.text).not.toMatch(/<script|alert\(|\.\.\/|constructor|__proto__/);
        }
        if (!signIt) expect(r.status).toBe(400);
      }),
      props,
    );
  });
});

describe('webhook body size limits', () => {
  it('a Twilio form over 64 KB and a Billplz form over 32 KB are 413 payload_too_large', async () => {
    const big = (n: number) => `CallSid=${'a'.repeat(n)}`;
    const t = await send(h.api.url, 'POST', '/webhooks/twilio/status', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
      body: big(70_000),
    });
    expectClear4xx(t, 'twilio 70 KB');
    expect([t.status, t.body.error]).toEqual([413, 'payload_too_large']);
    const b = await postBillplz(`id=${'a'.repeat(40_000)}`);
    expect([b.status, b.body.error]).toEqual([413, 'payload_too_large']);
  });
});
