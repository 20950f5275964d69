import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { ROUTES } from '../hostile/routes';
import { nastyString } from '../hostile/arbitraries';
import { ConsoleClient, consoleUser, PASSWORD } from './helpers';
import { createCampaign } from '../../api/campaigns/store';
import { SettingsSchema } from '../../api/campaigns/schemas';
import { DEMO_AGENT } from '../../scripts/demo/campaign';

/**
 * Hostile input against every console route, signed in with a valid CSRF token (the token is not
 * what is being tested here): any form body, any id, any query gives a page with a 4xx or a 2xx/3xx,
 * never a 5xx, and never markup from the input.
 */
const encodable = (s: string) => {
  try {
    encodeURIComponent(s);
    return s.length > 0 && !s.includes('/');
  } catch {
    return false; // a lone surrogate: no URL can carry it
  }
};
const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 20));
const FIELDS = [
  'name',
  'email',
  'password',
  'amount',
  'reason',
  'label',
  'preset',
  'custom',
  'request',
  'role',
  'token',
  'next',
  'action',
  'firstMessage',
  'systemPrompt',
  'language',
  'voiceId',
  'llmModel',
  'outcomes',
  'csvText',
  'defaultRegion',
  'timeZone',
  'windowStart',
  'windowEnd',
  'weekdays',
  'maxConcurrentCalls',
  'maxDurationSec',
  'ringTimeoutSec',
  'maxAttempts',
  'backoffSec',
  'retryOn',
  'voicemailPolicy',
  'alertWebhookUrl',
  'lowBalanceThreshold',
  'billingEmail',
  '__proto__',
  'constructor',
];

let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
let owner: ConsoleClient;
let admin: ConsoleClient;
let ids: Record<string, string>;

beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx);
  const a = await createTestAccount(ctx.sql);
  const { campaign } = await createCampaign(
    ctx.sql,
    a.id,
    { name: 'fuzzed', agent: DEMO_AGENT, settings: SettingsSchema.parse({}), defaultRegion: 'MY' },
    [],
  );
  ids = { campaign: campaign.id, account: a.id };
  owner = new ConsoleClient(api.url, '127.0.2.1');
  await owner.signIn((await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' })).email, PASSWORD);
  await owner.get('/app/keys');
  admin = new ConsoleClient(api.url, '127.0.2.2');
  await admin.signIn((await consoleUser(ctx.sql, { accountId: null, role: 'admin' })).email, PASSWORD);
  await admin.get('/app/admin');
});
afterAll(async () => {
  await api?.close();
});

const posts = ROUTES.filter(
  (r) => r.auth === 'console' && r.method === 'POST' && !['/app/login', '/app/logout'].includes(r.path),
);
const gets = ROUTES.filter((r) => r.auth === 'console' && r.method === 'GET' && !r.path.endsWith('/live'));

function expectPage(r: { status: number; text: string; headers: Headers }, what: string) {
  expect(r.status, `${what} -> ${r.text.slice(0, 300)}`).toBeLessThan(500);
  // 431/414: node's HTTP parser refuses an oversized URL before the app sees it
  if (![303, 204, 414, 431].includes(r.status) && !what.includes('.csv') && !what.includes('/assets/'))
    expect(r.headers.get('content-type'), what).toMatch(/^text\/html/);
  expect(r.text, what).not.toMatch(/<script>alert/);
}

describe('console routes under hostile input', () => {
  it('posts: any form body and any id give a clear page, never a 5xx', async () => {
    const idArb = fc.oneof(fc.constant('own'), fc.constant(randomUUID()), nastyString.filter(encodable));
    const body = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(nastyString, fc.array(nastyString, { maxLength: 3 })), {
      maxKeys: 8,
    });
    for (const route of posts) {
      await fc.assert(
        fc.asyncProperty(idArb, body, async (id, form) => {
          const who = route.path.startsWith('/app/admin') ? admin : owner;
          const ownId = route.path.startsWith('/app/admin') ? ids.account! : ids.campaign!;
          const path = route.path.replace(':id', encodeURIComponent(id === 'own' ? ownId : id));
          const clean = Object.fromEntries(Object.entries(form).filter(([k]) => k !== '_csrf')) as Record<
            string,
            string | string[]
          >;
          // the credit route would really credit a valid amount: keep its amounts hostile only
          if (route.path.endsWith('/credit') && typeof clean.amount === 'string' && /^\d/.test(clean.amount))
            clean.amount = `x${clean.amount}`;
          const r = await who.req('POST', path, { form: { ...clean, _csrf: who.csrf } });
          expectPage(r, `POST ${path}`);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
  }, 300_000);

  it('gets: any id and any query give a clear page, never a 5xx', async () => {
    const query = fc.dictionary(
      fc.constantFrom('campaign', 'status', 'outcome', 'from', 'to', 'digits', 'cursor', 'days', 'after', 'token', 'next', 'out'),
      nastyString,
      { maxKeys: 5 },
    );
    for (const route of gets) {
      await fc.assert(
        fc.asyncProperty(nastyString.filter(encodable), query, async (id, q) => {
          const who = route.path.startsWith('/app/admin') ? admin : owner;
          const path = `${route.path.replace(':id', encodeURIComponent(id)).replace(':file', encodeURIComponent(id))}?${new URLSearchParams(q)}`;
          const r = await who.req('GET', path);
          expectPage(r, `GET ${path}`);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }
  }, 300_000);
});
