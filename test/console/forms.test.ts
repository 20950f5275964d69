import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { ConsoleClient, consoleUser, PASSWORD } from './helpers';
import { parseRinggit } from '../../api/console/routes/credits';
import { csvLine } from '../../api/console/csv';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
let c: ConsoleClient;
let accountId: string;

beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx);
  const a = await createTestAccount(ctx.sql);
  accountId = a.id;
  await ctx.sql`update accounts set billing_email = 'billing@forms.test' where id = ${a.id}`;
  const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
  c = new ConsoleClient(api.url, '127.0.1.1');
  await c.signIn(u.email, PASSWORD);
});
afterAll(async () => {
  await api?.close();
});

describe('console forms', () => {
  it("a top-up outside the limits shows the API's message beside the amount and creates nothing", async () => {
    await c.get('/app/credits');
    const low = await c.post('/app/credits/topups', { preset: 'custom', custom: '5.00' });
    expect(low.status).toBe(400);
    expect(low.text).toContain('amount: must be between 1000 and 10000000 sen');
    expect(low.text).toMatch(/aria-invalid="true"[^>]*aria-describedby="f-custom-hint f-custom-err"/);
    const junk = await c.post('/app/credits/topups', { preset: 'custom', custom: 'fifty' });
    expect(junk.text).toContain('amount: enter an amount in ringgit');
    expect(await ctx.sql`select 1 from topups where account_id = ${accountId}`).toHaveLength(0);
  });

  it("the wizard reports a CSV without a phone column with the API's message, and Create needs contacts", async () => {
    await c.get('/app/campaigns/new');
    const form = new FormData();
    for (const [k, v] of Object.entries({
      _csrf: c.csrf,
      action: 'preview',
      name: 'x',
      firstMessage: 'hi',
      systemPrompt: 'be nice',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
    }))
      form.append(k, v);
    form.append('csv', new Blob(['name,email\nx,y\n'], { type: 'text/csv' }), 'bad.csv');
    const res = await c.req('POST', '/app/campaigns/new', { body: form });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/phone column/);
    const none = await c.post('/app/campaigns/new', {
      action: 'create',
      name: 'x',
      firstMessage: 'hi',
      systemPrompt: 'be nice',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
    });
    expect(none.status).toBe(400);
    expect(none.text).toContain('choose a CSV file');
    const window = await c.post('/app/campaigns/new', {
      action: 'preview',
      name: 'x',
      firstMessage: 'hi',
      systemPrompt: 'p',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
      timeZone: 'Mars/Olympus',
      windowStart: '18:00',
      windowEnd: '09:00',
      weekdays: '1',
    });
    expect(window.text).toContain('settings.callingWindow.timeZone: must be an IANA time zone');
    expect(await ctx.sql`select 1 from campaigns where account_id = ${accountId}`).toHaveLength(0);
  });

  it('reads ringgit amounts and writes spreadsheet-safe CSV', () => {
    expect([
      parseRinggit('50'),
      parseRinggit('RM 1,000.5'),
      parseRinggit('75.25'),
      parseRinggit('1.234'),
      parseRinggit('-5'),
    ]).toEqual([5_000, 100_050, 7_525, undefined, undefined]);
    expect(csvLine(['=HYPERLINK("x")', 'a,b', 12, null])).toBe(`"'=HYPERLINK(""x"")","a,b",12,\r\n`);
  });
});
