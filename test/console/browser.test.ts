import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAccount } from '../../lib/accounts';
import { createCampaign } from '../../api/campaigns/store';
import { roster, scenarioFor } from '../../scripts/demo/roster';
import { DEMO_AGENT } from '../../scripts/demo/campaign';
import { THROTTLE } from '../../api/console/auth/throttle';
import { consoleUser, PASSWORD } from './helpers';
import { launchChromium, startConsoleStack, type ConsoleStack } from './stack';

/**
 * The console's journeys in a real browser (Debian's chromium through playwright-core) against the
 * whole stack on its simulators. Screenshots of each page go to docs/console/ (the README shows them).
 */
const SHOTS = new URL('../../docs/console/', import.meta.url).pathname;
const callees = roster(4); // interested, busy, not interested, voicemail
const PAUSE_NUMBERS = ['+60125550201', '+60125550202', '+60125550203'];
const scenario = scenarioFor(callees, { conversations: true });
for (const n of PAUSE_NUMBERS) scenario.numbers![n] = { kind: 'no-answer' };

let cs: ConsoleStack;
let browser: Browser;
let owner: { email: string; accountId: string };
let other: { email: string; campaignId: string };
let ctx: BrowserContext;
let page: Page;
let campaignUrl = '';

const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

async function signIn(p: Page, email: string, password = PASSWORD) {
  await p.goto(`${cs.origin}/app/login`);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

/** Marks the document so a later check can tell it was not reloaded. */
const mark = (p: Page) => p.evaluate(() => ((window as unknown as { __kept: number }).__kept = 1));
const stillMarked = (p: Page) => p.evaluate(() => (window as unknown as { __kept?: number }).__kept === 1);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  cs = await startConsoleStack(scenario);
  const a = await createAccount(cs.sql, { name: 'Sinar Bank', billingEmail: 'billing@sinar.example', maxConcurrentCalls: 10 });
  const u = await consoleUser(cs.sql, { accountId: a.id, role: 'owner', email: 'owner@sinar.example' });
  owner = { email: u.email, accountId: a.id };
  const b = await createAccount(cs.sql, { name: 'Other Co', billingEmail: 'billing@other.example' });
  const m = await consoleUser(cs.sql, { accountId: b.id, role: 'member', email: 'member@other.example' });
  const { campaign } = await createCampaign(
    cs.sql,
    b.id,
    {
      name: 'Other campaign',
      agent: DEMO_AGENT,
      settings: {
        maxConcurrentCalls: 1,
        retry: { maxAttempts: 1, backoffSec: 1, retryOn: [] },
        maxDurationSec: 60,
        ringTimeoutSec: 5,
        voicemailPolicy: 'hangup',
      },
      defaultRegion: 'MY',
    },
    [],
  );
  other = { email: m.email, campaignId: campaign.id };
  browser = await launchChromium();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await ctx.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cs?.close();
}, 60_000);

describe('console in a browser', () => {
  it('signs in: the console sends a signed-out browser to the sign-in page and back', async () => {
    await page.goto(`${cs.origin}/app/credits`);
    expect(new URL(page.url()).pathname).toBe('/app/login');
    await shot(page, 'login');
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Credits' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/credits');
  });

  it("tops up through the Billplz simulator's payment page and the credit appears without reloading", async () => {
    await page.goto(`${cs.origin}/app/credits`);
    await shot(page, 'credits');
    await page.getByLabel('RM 200.00').check();
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('heading', { name: 'Pay RM 200.00' }).waitFor();
    const payUrl = page.url();
    const [topup] = await cs.sql<
      { id: string; status: string }[]
    >`select id, status from topups where account_id = ${owner.accountId}`;
    expect(topup!.status).toBe('pending');

    // the top-up's console page, open before the payment, follows it live
    const watcher = await ctx.newPage();
    await watcher.goto(`${cs.origin}/app/credits/topups/${topup!.id}`);
    await watcher.getByText('Pending.').waitFor();
    await mark(watcher);
    await shot(watcher, 'topup-pending');

    await page.getByRole('button', { name: 'Pay RM 200.00' }).click();
    // Billplz redirects the payer back to /billing/return, which hands a signed-in payer to the console page
    await page.waitForURL(`${cs.origin}/app/credits/topups/${topup!.id}`);
    await page.getByText('Paid, credited.').waitFor({ timeout: 30_000 });
    await watcher.getByText('Paid, credited.').waitFor({ timeout: 30_000 });
    expect(await stillMarked(watcher)).toBe(true);
    await shot(watcher, 'topup-paid');
    await watcher.close();
    expect(payUrl).toContain('/bills/');

    await page.goto(`${cs.origin}/app/credits`);
    expect(await page.locator('#available').textContent()).toBe('$45.00');
    expect(await page.locator('table', { hasText: 'RM 200.00' }).first().textContent()).toContain('paid');
    const csv = await (await page.request.get(`${cs.origin}/app/credits/statement.csv`)).text();
    expect(csv.split('\r\n')[1]).toMatch(/^1,.*,Credit,topup\/.*,45000000,0,45000000,0$/);
  });

  it('creates a campaign from a CSV with bad rows and shows the line-numbered rejects', async () => {
    await page.goto(`${cs.origin}/app/campaigns/new`);
    await page.getByLabel('Campaign name').fill('Savings plan');
    await page.getByLabel('First message').fill(DEMO_AGENT.firstMessage);
    await page.getByLabel('System prompt').fill(DEMO_AGENT.systemPrompt);
    await page.getByLabel('Language').fill('malay');
    await page.getByLabel('Voice', { exact: true }).fill(DEMO_AGENT.voiceId);
    await page.getByLabel('Outcome labels').fill(DEMO_AGENT.outcomes.join(', '));
    await page.getByLabel('Ring timeout (s)').fill('5');
    await page.getByLabel('Attempts per number').fill('1');
    await page.getByLabel('Max duration (s)').fill('120');
    const csv = [
      'phone,name',
      `${callees[0]!.phone},Aminah`,
      `${callees[1]!.phone},Raj`,
      'not a number,Bad',
      `${callees[2]!.phone},Mei Ling`,
      '012-555 0101,Aminah again',
      `0${callees[3]!.phone.slice(3)},Farid`,
      '123,Short',
    ].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Preview' }).click();
    // the API's message, beside the field
    await page.getByText('agent.language: must be a BCP-47 tag such as ms-MY or en-US').waitFor();
    expect(await page.getByLabel('Language').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Language').fill('en-US');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Rejected rows' }).waitFor();
    const rejects = await page.locator('#rejects tbody tr').allTextContents();
    expect(rejects).toEqual([
      expect.stringMatching(/^4.*not a phone number/),
      expect.stringMatching(/^6.*duplicate of line 2/),
      expect.stringMatching(/^8/),
    ]);
    expect(await page.locator('#preview').textContent()).toContain('4 numbers accepted, 3 rejected');
    await shot(page, 'campaign-new-preview');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByText('Created with 4 numbers (3 rows rejected).').waitFor();
    campaignUrl = page.url();
  });

  it('starts the campaign and the live board reaches completed without reloading', async () => {
    await page.goto(campaignUrl);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#board[data-status="running"]').waitFor();
    await mark(page);
    await page.locator('#board[data-status="completed"]').waitFor({ timeout: 150_000 });
    expect(await stillMarked(page)).toBe(true);
    expect(await page.locator('#board-done').textContent()).toBe('4 / 4');
    expect(await page.locator('[data-status-count="completed"]').textContent()).toBe('2');
    await shot(page, 'campaign-board');
    await page.goto(`${cs.origin}/app/campaigns`);
    await shot(page, 'campaigns');
  }, 180_000);

  it('opens a call and reads its transcript, outcome, costs and latency', async () => {
    await page.goto(`${cs.origin}/app/calls?status=completed&outcome=interested`);
    await shot(page, 'calls');
    const rows = page.locator('#calls tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('…0101');
    await rows.first().getByRole('link').click();
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Call to ${callees[0]!.phone}`); // owners see the number
    expect(await page.locator('.chat li.agent').first().textContent()).toContain(DEMO_AGENT.firstMessage);
    expect(await page.locator('.chat li.caller').count()).toBeGreaterThan(0);
    const call = (
      await cs.sql`select c.id, k.* from calls c join call_costs k on k.call_id = c.id where c.to_e164 = ${callees[0]!.phone}`
    )[0]!;
    const costs = await page.locator('#costs').textContent();
    for (const v of [
      call.azure_stt_cost,
      call.llm_cost,
      call.tts_cost,
      call.twilio_cost,
      call.total_provider_cost,
      call.charged_amount,
      call.profit_margin,
    ]) {
      expect(costs).toContain(`$${(Number(v) / 1e6).toFixed(6)}`);
    }
    expect(await page.getByRole('link', { name: 'Workflow in the Temporal Web UI' }).getAttribute('href')).toContain(
      `workflows/call%2F${call.id}`,
    );
    await shot(page, 'call-detail');
  });

  it('pauses and resumes a running campaign; a paused campaign never shows as running', async () => {
    const { campaign } = await createCampaign(
      cs.sql,
      owner.accountId,
      {
        name: 'Callbacks',
        agent: DEMO_AGENT,
        defaultRegion: 'MY',
        settings: {
          maxConcurrentCalls: 1,
          retry: { maxAttempts: 5, backoffSec: 600, retryOn: ['no_answer'] },
          maxDurationSec: 120,
          ringTimeoutSec: 15,
          voicemailPolicy: 'hangup',
        },
      },
      PAUSE_NUMBERS.map((phone, i) => ({ phone, line: i + 2 })),
    );
    await page.goto(`${cs.origin}/app/campaigns/${campaign.id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#board[data-status="running"]').waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('#board[data-status="paused"]').waitFor();
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(1);
    // over the next seconds of live updates it stays paused
    await mark(page);
    await page.waitForTimeout(2_000);
    expect(await page.locator('#board').getAttribute('data-status')).toBe('paused');
    await shot(page, 'campaign-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#board[data-status="running"]').waitFor();
    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    await page.locator('#board[data-status="canceled"]').waitFor({ timeout: 90_000 });
  }, 150_000);

  it("a member of another account gets 404 for this account's campaign and call, in the browser", async () => {
    const c2 = await browser.newContext();
    const p2 = await c2.newPage();
    try {
      await signIn(p2, other.email);
      await p2.getByRole('heading', { name: 'Dashboard' }).waitFor();
      const id = campaignUrl.split('/').pop()!.split('?')[0]!;
      const res = await p2.goto(`${cs.origin}/app/campaigns/${id}`);
      expect(res!.status()).toBe(404);
      expect(await p2.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
      const [call] = await cs.sql`select id from calls where account_id = ${owner.accountId} limit 1`;
      expect((await p2.goto(`${cs.origin}/app/calls/${call!.id}`))!.status()).toBe(404);
      expect((await p2.goto(`${cs.origin}/app/keys`))!.status()).toBe(403);
      // and their own campaign is there
      expect((await p2.goto(`${cs.origin}/app/campaigns/${other.campaignId}`))!.status()).toBe(200);
    } finally {
      await c2.close();
    }
  });

  it('refuses a form posted without its CSRF token', async () => {
    await page.goto(`${cs.origin}/app/keys`);
    await shot(page, 'keys');
    await page.evaluate(() => document.querySelectorAll('input[name="_csrf"]').forEach((e) => e.remove()));
    await page.getByLabel('Label').fill('forged');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/app/keys') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Issue a key' }).click(),
    ]);
    expect(res.status()).toBe(403);
    await page.getByText('the form is missing its security token').waitFor();
    expect(await cs.sql`select 1 from api_keys where account_id = ${owner.accountId}`).toHaveLength(0);
    // with the token it works, and the key is shown once
    await page.goto(`${cs.origin}/app/keys`);
    await page.getByLabel('Label').fill('production');
    await page.getByRole('button', { name: 'Issue a key' }).click();
    expect(await page.locator('#new-key').textContent()).toMatch(/^ak_/);
  });

  it('throttles a wrong password', async () => {
    const u = await consoleUser(cs.sql, { accountId: owner.accountId, role: 'member', email: 'guessed@sinar.example' });
    const c3 = await browser.newContext();
    const p3 = await c3.newPage();
    try {
      for (let i = 0; i < THROTTLE.PER_ACCOUNT; i++) {
        await signIn(p3, u.email, 'not the password');
        await p3.getByText('Wrong email or password.').waitFor();
      }
      await signIn(p3, u.email, PASSWORD);
      await p3.getByText(/Too many failed sign-ins/).waitFor();
      expect(new URL(p3.url()).pathname).toBe('/app/login');
      await shot(p3, 'login-throttled');
    } finally {
      await c3.close();
    }
  });

  it('shows the dashboard, alerts, and the platform admin pages (and fits a phone screen)', async () => {
    await page.goto(`${cs.origin}/app`);
    await page.locator('#calls-hourly canvas').waitFor();
    await shot(page, 'dashboard');
    await page.goto(`${cs.origin}/app/alerts`);
    await page.getByLabel('Low-balance threshold (USD)').fill('abc');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('enter an amount such as 10.00').waitFor();
    await page.getByLabel('Low-balance threshold (USD)').fill('25');
    await page.getByLabel('Alert webhook URL').fill('ftp://example.invalid/x');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('alertWebhookUrl: must be an http(s) URL').waitFor();
    await page.getByLabel('Alert webhook URL').fill('http://127.0.0.1:9/alerts');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Alert settings saved.').waitFor();
    const [acct] = await cs.sql`select alert_webhook_url, low_balance_threshold from accounts where id = ${owner.accountId}`;
    expect([acct!.alert_webhook_url, Number(acct!.low_balance_threshold)]).toEqual(['http://127.0.0.1:9/alerts', 25_000_000]);
    await shot(page, 'alerts');

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const pp = await phone.newPage();
    await signIn(pp, owner.email);
    await pp.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // nothing wider than the screen except inside the scrolling tables
    expect(await pp.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(pp, 'dashboard-phone');
    await phone.close();

    const admin = await consoleUser(cs.sql, { accountId: null, role: 'admin', email: 'ops@aicall.example' });
    const ac = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ap = await ac.newPage();
    await signIn(ap, admin.email);
    await ap.getByRole('heading', { name: 'Platform' }).waitFor();
    const row = ap.locator('#accounts tr', { hasText: 'Sinar Bank' });
    await row.getByText('Top up manually').click();
    await row.getByLabel('Amount (USD)').fill('12.50');
    await row.getByLabel('Reason (recorded in the ledger)').fill('goodwill for the outage');
    await row.getByRole('button', { name: 'Credit' }).click();
    await ap.getByText('$12.50 credited to Sinar Bank.').waitFor();
    const [entry] =
      await cs.sql`select amount, reason, metadata from ledger_operations where account_id = ${owner.accountId} and key like 'manual/%'`;
    expect([Number(entry!.amount), entry!.reason, entry!.metadata.by]).toEqual([
      12_500_000,
      'manual top-up: goodwill for the outage',
      admin.email,
    ]);
    await ap.locator('#accounts tr', { hasText: 'Other Co' }).getByRole('button', { name: 'Suspend' }).click();
    await ap.getByText('Other Co is suspended.').waitFor();
    await shot(ap, 'admin');
    await ac.close();
  });
});
