import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { testContext, testLogger, withWorker, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { startReceiver, type Receiver } from './receiver';
import { createWebhookActivities } from '../../activities/webhooks';
import { emitEvent, type WebhookEmitter } from '../../lib/webhooks';
import { attemptDelivery } from '../../lib/webhooks/deliver';
import { sign } from '../../lib/webhooks/signature';
import { isBlockedAddress, type Resolver } from '../../lib/webhooks/ssrf';
import { DeliveryPlan } from '../../workflows/webhooks/plan';
import { DEFAULT_RETRY_DELAYS_MS } from '../../workflows/webhooks/contract';

/**
 * The receiver's side of Standard Webhooks, written from the spec (standardwebhooks.com), not from
 * lib/webhooks: base64 key after `whsec_`, HMAC-SHA256 over `id.timestamp.body`, any of the
 * space-separated `v1,<sig>` entries may match, timestamp within 5 minutes.
 */
function receiverVerifies(
  secret: string,
  headers: Record<string, unknown>,
  body: string,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const ts = String(headers['webhook-timestamp'] ?? '');
  const header = String(headers['webhook-signature'] ?? '');
  if (!id || !/^\d+$/.test(ts) || Math.abs(nowSec - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.split('_').slice(1).join('_'), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  return header.split(' ').some((part) => {
    const comma = part.indexOf(',');
    if (part.slice(0, comma) !== 'v1') return false;
    const sig = Buffer.from(part.slice(comma + 1), 'base64');
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  });
}

const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('webhooks: signing, plan and SSRF (no I/O)', () => {
  it('signs the Standard Webhooks test vector', () => {
    expect(
      sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('the default plan retries for more than 24 hours, then stops', () => {
    const plan = new DeliveryPlan(DEFAULT_RETRY_DELAYS_MS);
    expect(plan.spanMs).toBeGreaterThanOrEqual(24 * 3_600_000);
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < plan.maxAttempts; i++) {
      plan.begin();
      waits.push(plan.delayAfterFailure);
    }
    expect(waits.slice(0, -1).every((w) => typeof w === 'number' && w > 0)).toBe(true);
    expect(waits.at(-1)).toBeUndefined();
    expect(() => new DeliveryPlan([1, -5])).toThrow(/non-negative/);
  });

  it('refuses loopback, private, link-local, reserved and mapped addresses; allows public ones', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      'not-an-ip',
    ]) {
      expect(isBlockedAddress(a), a).toBe(true);
    }
    for (const a of ['1.1.1.1', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isBlockedAddress(a), a).toBe(false);
  });
});

describe('webhooks: delivery through Temporal', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  let api: Awaited<ReturnType<typeof startTestApi>>;
  let strictApi: Awaited<ReturnType<typeof startTestApi>>;
  const taskQueue = `webhooks-${randomUUID()}`;
  const retryDelaysMs = [150, 150, 150, 150];
  // name -> addresses, standing in for DNS in the SSRF tests (only loopback is ever connected to)
  const fakeDns: Record<string, string[]> = {
    'rebind.test': ['127.0.0.1'],
    'mixed.test': ['93.184.215.14', '10.0.0.7'],
    'public.test': ['93.184.215.14'],
  };
  const resolver: Resolver = (host, _o, cb) => {
    const a = fakeDns[host];
    if (!a) return cb(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), []);
    cb(
      null,
      a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  let activities: ReturnType<typeof createWebhookActivities>;
  let emitter: WebhookEmitter;

  beforeAll(async () => {
    ctx = await testContext();
    receiver = await startReceiver();
    const config = { ...ctx.config, ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true };
    api = await startTestApi(ctx, config);
    strictApi = await startTestApi(ctx, { ...config, WEBHOOK_ALLOW_PRIVATE_URLS: false });
    activities = createWebhookActivities({
      sql: ctx.sql,
      log: testLogger(),
      config,
      temporal: ctx.client,
      retryDelaysMs,
      disableAfterMs: 3_600_000,
    });
    emitter = { sql: ctx.sql, log: testLogger(), temporal: ctx.client, taskQueue, retryDelaysMs };
  });
  afterAll(async () => {
    await api?.close();
    await strictApi?.close();
    await receiver?.close();
  });

  const newAccount = async () => (await createTestAccount(ctx.sql, { withKey: true })) as { id: string; apiKey: string };
  const addEndpoint = async (key: string, path: string, eventTypes = ['call.ended']) => {
    const res = await api.call('POST', '/v1/webhooks/endpoints', { key, body: { url: receiver.url + path, eventTypes } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string; secretPrefix: string };
  };
  const deliveriesOf = (endpointId: string) =>
    ctx.sql<
      { id: string; status: string; attempts: number; event_id: string }[]
    >`select id, status, attempts, event_id from webhook_deliveries where endpoint_id = ${endpointId}`;

  it('delivers a signed, versioned event; retries an endpoint that fails then recovers; logs every attempt', async () => {
    const a = await newAccount();
    const path = `/flaky/2/${randomUUID()}`;
    const ep = await addEndpoint(a.apiKey, path);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const other = await addEndpoint(a.apiKey, `/ok/${randomUUID()}`, ['topup.paid']); // not subscribed to call.ended

    await withWorker({ taskQueue, activities }, async () => {
      const emitted = await emitEvent(emitter, {
        accountId: a.id,
        type: 'call.ended',
        data: { callId: 'c1', status: 'completed', text: 'Selamat pagi, Encik Ahmad' },
        dedupKey: `test:${randomUUID()}`,
      });
      expect(emitted?.deliveries).toHaveLength(1);
      await until('delivery', async () => (await deliveriesOf(ep.id))[0]?.status === 'succeeded');
    });

    const got = receiver.at(path);
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(got[0]!.headers['webhook-id']); // same id on every retry: receivers de-duplicate on it
      expect(receiverVerifies(ep.secret, r.headers, r.body)).toBe(true);
      expect(receiverVerifies(ep.secret, r.headers, r.body.replace('Ahmad', 'Ahmed'))).toBe(false); // a changed body fails
    }
    const body = JSON.parse(got[0]!.body);
    expect(body).toMatchObject({
      id: got[0]!.headers['webhook-id'],
      type: 'call.ended',
      version: 1,
      accountId: a.id,
      data: { callId: 'c1', text: 'Selamat pagi, Encik Ahmad' },
    });
    expect(await deliveriesOf(other.id)).toHaveLength(0);

    const log = await api.call('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`, { key: a.apiKey });
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toHaveLength(1);
    expect(log.body.deliveries[0]).toMatchObject({
      eventId: body.id,
      eventType: 'call.ended',
      status: 'succeeded',
      attempts: 3,
      lastStatus: 200,
    });
    const detail = await api.call('GET', `/v1/webhooks/deliveries/${log.body.deliveries[0].id}`, { key: a.apiKey });
    expect(detail.body.attemptLog.map((x: any) => x.httpStatus)).toEqual([500, 500, 200]);
    expect(detail.body.event.id).toBe(body.id);
    // another account sees none of it
    const stranger = await newAccount();
    expect((await api.call('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`, { key: stranger.apiKey })).status).toBe(404);
  });

  it('redelivers one event with the same id on request', async () => {
    const a = await newAccount();
    const path = `/ok/${randomUUID()}`;
    const ep = await addEndpoint(a.apiKey, path);
    await withWorker({ taskQueue, activities }, async () => {
      await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: { n: 1 }, dedupKey: `test:${randomUUID()}` });
      await until('first delivery', () => receiver.at(path).length === 1);
      const [d] = await deliveriesOf(ep.id);
      const res = await api.call('POST', `/v1/webhooks/deliveries/${d!.id}/redeliver`, { key: a.apiKey });
      expect(res.status, res.text).toBe(202);
      expect(res.body.run).toBe(2);
      await until('redelivery', () => receiver.at(path).length === 2);
    });
    const [first, second] = receiver.at(path);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect((await deliveriesOf(ep.id))[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('emitting is idempotent by its key and never throws, even when Temporal or Postgres fail', async () => {
    const a = await newAccount();
    const ep = await addEndpoint(a.apiKey, `/ok/${randomUUID()}`);
    const dedupKey = `test:${randomUUID()}`;
    const broken = {
      workflow: {
        start: async () => {
          throw new Error('temporal unreachable');
        },
      },
    } as unknown as WebhookEmitter['temporal'];
    const first = await emitEvent(
      { ...emitter, temporal: broken },
      { accountId: a.id, type: 'call.ended', data: { n: 1 }, dedupKey },
    );
    const again = await emitEvent(
      { ...emitter, temporal: broken },
      { accountId: a.id, type: 'call.ended', data: { n: 2 }, dedupKey },
    );
    expect(first?.eventId).toBeDefined();
    expect(again?.eventId).toBe(first!.eventId);
    expect(await deliveriesOf(ep.id)).toHaveLength(1);
    // a broken database: a null, not an exception
    const brokenSql = Object.assign(
      () => {
        throw new Error('db down');
      },
      {
        begin: async () => {
          throw new Error('db down');
        },
      },
    ) as unknown as WebhookEmitter['sql'];
    expect(
      await emitEvent({ ...emitter, sql: brokenSql }, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: 'x' }),
    ).toBeNull();
    // the sweep starts the delivery the emitter could not
    await ctx.sql`update webhook_deliveries set created_at = now() - interval '5 minutes' where endpoint_id = ${ep.id}`;
    await withWorker({ taskQueue, activities }, async () => {
      const swept = await ctx.client.workflow.execute('webhooksSweepWorkflow', {
        taskQueue,
        workflowId: `webhooks-sweep-test/${randomUUID()}`,
        args: [],
      });
      expect((swept as { started: number }).started).toBeGreaterThanOrEqual(1);
      await until('swept delivery', async () => (await deliveriesOf(ep.id))[0]?.status === 'succeeded');
    });
  });

  it('rotating the secret signs with both secrets until the old one expires', async () => {
    const a = await newAccount();
    const path = `/ok/${randomUUID()}`;
    const ep = await addEndpoint(a.apiKey, path);
    const rotated = await api.call('POST', `/v1/webhooks/endpoints/${ep.id}/rotate-secret`, { key: a.apiKey, body: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect(rotated.body.previousSecretExpiresAt).toBeTruthy();
    await withWorker({ taskQueue, activities }, async () => {
      await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` });
      await until('delivery during rotation', () => receiver.at(path).length === 1);
      await ctx.sql`update webhook_endpoints set previous_expires_at = now() - interval '1 second' where id = ${ep.id}`;
      await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` });
      await until('delivery after expiry', () => receiver.at(path).length === 2);
    });
    const [during, after] = receiver.at(path);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(receiverVerifies(ep.secret, during!.headers, during!.body)).toBe(true);
    expect(receiverVerifies(rotated.body.secret, during!.headers, during!.body)).toBe(true);
    expect(receiverVerifies(ep.secret, after!.headers, after!.body)).toBe(false);
    expect(receiverVerifies(rotated.body.secret, after!.headers, after!.body)).toBe(true);
  });

  it('disables an endpoint failing for longer than the window, raises an alert and tells the account', async () => {
    const a = await newAccount();
    const down = await addEndpoint(a.apiKey, `/down/${randomUUID()}`);
    const alertsPath = `/ok/alerts/${randomUUID()}`;
    await addEndpoint(a.apiKey, alertsPath, ['alert.fired']);
    await withWorker({ taskQueue, activities }, async () => {
      // failing, but not for long enough: every planned attempt fails and the delivery ends failed
      await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` });
      await until('failed delivery', async () => (await deliveriesOf(down.id))[0]?.status === 'failed');
      expect((await deliveriesOf(down.id))[0]!.attempts).toBe(retryDelaysMs.length + 1);
      let [ep] = await ctx.sql<
        { status: string; failing_since: Date | null }[]
      >`select status, failing_since from webhook_endpoints where id = ${down.id}`;
      expect(ep).toMatchObject({ status: 'enabled' });
      expect(ep!.failing_since).toBeInstanceOf(Date);
      // failing since two hours (window: one hour): the next failed attempt disables it
      await ctx.sql`update webhook_endpoints set failing_since = now() - interval '2 hours' where id = ${down.id}`;
      await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` });
      await until(
        'disabled',
        async () => (await ctx.sql`select 1 from webhook_endpoints where id = ${down.id} and status = 'disabled'`).length === 1,
      );
      await until('alert.fired delivered', () => receiver.at(alertsPath).length === 1);
      [ep] = await ctx.sql<
        { status: string; failing_since: Date | null }[]
      >`select status, failing_since from webhook_endpoints where id = ${down.id}`;
    });
    const [alert] = await ctx.sql<{ id: string; kind: string; state: string; account_id: string }[]>`
      select id, kind, state, account_id from alerts where condition_key = ${`webhook_endpoint_disabled:${down.id}`}`;
    expect(alert).toMatchObject({ kind: 'webhook_endpoint_disabled', state: 'firing', account_id: a.id });
    const fired = JSON.parse(receiver.at(alertsPath)[0]!.body);
    expect(fired).toMatchObject({ type: 'alert.fired', data: { alertId: alert!.id, kind: 'webhook_endpoint_disabled' } });
    const view = await api.call('GET', `/v1/webhooks/endpoints/${down.id}`, { key: a.apiKey });
    expect(view.body.status).toBe('disabled');
    expect(view.body.disabledReason).toMatch(/every delivery failed since .*HTTP 503/);
    // no new deliveries to a disabled endpoint; enabling it clears the alert
    const none = await emitEvent(emitter, { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` });
    expect(none?.deliveries).toEqual([]);
    const enabled = await api.call('PATCH', `/v1/webhooks/endpoints/${down.id}`, { key: a.apiKey, body: { enabled: true } });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabledReason: null, failingSince: null });
    const [cleared] = await ctx.sql`select state from alerts where id = ${alert!.id}`;
    expect(cleared!.state).toBe('cleared');
  });

  it('refuses endpoints that are not public http(s) URLs, checking resolved addresses too', async () => {
    const { webhooksRouter } = await import('../../api/webhooks/routes');
    const a = await newAccount();
    const refused = [
      'http://127.0.0.1/x',
      'http://10.0.0.5/',
      'http://[::1]:8080/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'http://localhost:3000/',
      'http://printer.local/',
      'ftp://example.com/',
      'file:///etc/passwd',
      'https://user:pw@example.com/',
      'not a url',
    ];
    for (const url of refused) {
      const res = await strictApi.call('POST', '/v1/webhooks/endpoints', {
        key: a.apiKey,
        body: { url, eventTypes: ['call.ended'] },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error, url).toBe('url_not_allowed');
    }
    // names are resolved: a name pointing at a private address (or one of several) is refused
    const router = webhooksRouter(
      { sql: ctx.sql, temporal: ctx.client, config: { ...ctx.config, WEBHOOK_ALLOW_PRIVATE_URLS: false }, log: testLogger() },
      { resolver },
    );
    const express = (await import('express')).default;
    const app = express();
    app.use((req, _res, next) => {
      req.auth = { keyId: 'k', role: 'client', accountId: a.id };
      next();
    });
    app.use(express.json());
    app.use(router);
    app.use(((err, _req, res, _next) =>
      res.status(err.status ?? 500).json({ error: err.code, message: err.message })) as import('express').ErrorRequestHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const post = (url: string) =>
      fetch(`${base}/webhooks/endpoints`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, eventTypes: ['call.ended'] }),
      });
    try {
      for (const host of ['rebind.test', 'mixed.test', 'nowhere.test']) {
        const res = await post(`https://${host}/hook`);
        expect(res.status, host).toBe(400);
        expect(((await res.json()) as { message: string }).message, host).toMatch(
          host === 'nowhere.test' ? /does not resolve/ : /not a public address/,
        );
      }
      expect((await post('https://public.test/hook')).status).toBe(201);
    } finally {
      server.close();
    }
    // at delivery time as well: a name that now resolves to loopback (DNS rebinding) is not connected to
    const [row] = await ctx.sql<{ id: string }[]>`
      insert into webhook_endpoints (account_id, url, event_types, secret) values (${a.id}, ${`http://rebind.test:${receiver.port}/ok/rebind`}, ${['call.ended']}, 'whsec_AAAA') returning id`;
    const emitted = await emitEvent(
      { ...emitter, temporal: undefined },
      { accountId: a.id, type: 'call.ended', data: {}, dedupKey: `test:${randomUUID()}` },
    );
    const deliveries = await deliveriesOf(row!.id);
    expect(emitted!.deliveries).toContain(deliveries[0]!.id);
    const r = await attemptDelivery(ctx.sql, deliveries[0]!.id, null, {
      allowPrivate: false,
      disableAfterMs: 3_600_000,
      resolver,
    });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/blocked destination: rebind\.test resolves to 127\.0\.0\.1/);
    expect(receiver.at('/ok/rebind')).toHaveLength(0);
    // the literal-address form too, in case the URL changed since it was checked
    await ctx.sql`update webhook_endpoints set url = ${`${receiver.url}/ok/rebind`} where id = ${row!.id}`;
    const r2 = await attemptDelivery(ctx.sql, deliveries[0]!.id, null, { allowPrivate: false, disableAfterMs: 3_600_000 });
    expect(r2.error).toMatch(/blocked destination: 127\.0\.0\.1 is not a public address/);
    expect(receiver.at('/ok/rebind')).toHaveLength(0);
  });

  it('tells the account of its alerts: alert.fired when delivered, alert.cleared when the condition goes', async () => {
    const { createAlertActivities } = await import('../../activities/alerts');
    const { createLedger } = await import('../../lib/ledger');
    const a = await newAccount();
    const path = `/ok/alerts/${randomUUID()}`;
    await addEndpoint(a.apiKey, path, ['alert.fired', 'alert.cleared']);
    const alerts = createAlertActivities({ sql: ctx.sql, log: testLogger(), webhooks: emitter });
    const ledger = createLedger(ctx.sql);
    let clearedHere = false;
    await ledger.credit({ accountId: a.id, amount: 5_000_000, key: `webhooks-test/${randomUUID()}`, reason: 'test' }); // below the $10 threshold
    await withWorker({ taskQueue, activities }, async () => {
      // (the alerts tests' sweeps run beside this file and reconcile every account: whichever fires it)
      await alerts.alertsReconcile({ kind: 'low_balance' });
      const [mine] = await ctx.sql<
        { id: string }[]
      >`select id from alerts where condition_key = ${`low_balance:${a.id}`} and state = 'firing'`;
      expect(mine).toBeDefined();
      await alerts.alertsDeliver({ alertId: mine!.id }); // no alert_webhook_url: undeliverable there, but the endpoints hear of it
      await alerts.alertsDeliver({ alertId: mine!.id }); // a second pass does not send it twice
      await ledger.credit({ accountId: a.id, amount: 20_000_000, key: `webhooks-test/${randomUUID()}`, reason: 'test' });
      const cleared = await alerts.alertsReconcile({ kind: 'low_balance' });
      const [state] = await ctx.sql<{ state: string }[]>`select state from alerts where id = ${mine!.id}`;
      expect(state!.state).toBe('cleared');
      // when a concurrent sweep of the alerts tests (no webhooks wired) cleared it first, only fired is sent
      clearedHere = cleared.clearedIds.includes(mine!.id);
      await until('alert events', () => receiver.at(path).length === (clearedHere ? 2 : 1));
    });
    const bodies = receiver.at(path).map((x) => JSON.parse(x.body));
    expect(bodies.map((b) => b.type).sort()).toEqual(clearedHere ? ['alert.cleared', 'alert.fired'] : ['alert.fired']);
    expect(bodies.every((b) => b.data.kind === 'low_balance' && b.accountId === a.id)).toBe(true);
  });

  it('call.ended carries status, outcome, transcript, the call_costs breakdown and the analysis, read from Postgres', async () => {
    const { emitCallEnded } = await import('../../lib/webhooks');
    const a = await newAccount();
    await addEndpoint(a.apiKey, `/ok/${randomUUID()}`);
    const callId = randomUUID();
    await ctx.sql`insert into calls (id, account_id, to_e164, status, terminal, outcome, duration_sec, answered_at, ended_at)
      values (${callId}, ${a.id}, '+60123456789', 'completed', true, ${ctx.sql.json({ result: 'interested' } as never)}, 42, now() - interval '42 seconds', now())`;
    await ctx.sql`insert into call_costs (call_id, account_id, price_list_version, price_list, azure_stt_cost, llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin, billed_seconds)
      values (${callId}, ${a.id}, 'v1', '{}', 100, 200, 300, 400, 1000, 140000, 139000, 42)`;
    await ctx.sql`insert into transcript_turns (call_id, seq, role, text) values (${callId}, 1, 'agent', 'Selamat pagi'), (${callId}, 2, 'caller', 'Ya, saya berminat')`;
    await ctx.sql`insert into call_analysis (call_id, account_id, status, summary, fields, requests) values (${callId}, ${a.id}, 'ok', 'Berminat.', ${ctx.sql.json({ interest: 'high' } as never)}, 1)`;
    const first = await emitCallEnded({ ...emitter, temporal: undefined }, callId);
    const again = await emitCallEnded({ ...emitter, temporal: undefined }, callId);
    expect(again!.eventId).toBe(first!.eventId); // once per call
    const [event] = await ctx.sql<{ payload: any }[]>`select payload from webhook_events where id = ${first!.eventId}`;
    expect(event!.payload).toMatchObject({
      type: 'call.ended',
      version: 1,
      accountId: a.id,
      data: {
        callId,
        status: 'completed',
        outcome: { result: 'interested' },
        durationSec: 42,
        recordingUrl: null,
        transcript: [
          { seq: 1, role: 'agent', text: 'Selamat pagi' },
          { seq: 2, role: 'caller', text: 'Ya, saya berminat' },
        ],
        call_costs: {
          azure_stt_cost: 100,
          llm_cost: 200,
          tts_cost: 300,
          twilio_cost: 400,
          total_provider_cost: 1000,
          charged_amount: 140000,
          profit_margin: 139000,
        },
        analysis: { status: 'ok', summary: 'Berminat.', fields: { interest: 'high' } },
      },
    });
    expect(await emitCallEnded(emitter, randomUUID())).toBeNull(); // an unknown call: nothing, no throw
  });

  it('pages the delivery log', async () => {
    const a = await newAccount();
    const ep = await addEndpoint(a.apiKey, `/ok/${randomUUID()}`);
    for (let i = 0; i < 3; i++)
      await emitEvent(
        { ...emitter, temporal: undefined },
        { accountId: a.id, type: 'call.ended', data: { i }, dedupKey: `test:${randomUUID()}` },
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { deliveries: { id: string }[]; nextCursor: string | null } } = await api.call(
        'GET',
        `/v1/webhooks/endpoints/${ep.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: a.apiKey },
      );
      seen.push(...page.body.deliveries.map((d) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    expect((await api.call('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries?cursor=bm9wZQ`, { key: a.apiKey })).status).toBe(
      400,
    );
  });

  it('validates endpoint bodies with clear errors', async () => {
    const a = await newAccount();
    const bad = await api.call('POST', '/v1/webhooks/endpoints', {
      key: a.apiKey,
      body: { url: receiver.url + '/ok', eventTypes: ['call.started'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/eventTypes/);
    const empty = await api.call('POST', '/v1/webhooks/endpoints', {
      key: a.apiKey,
      body: { url: receiver.url + '/ok', eventTypes: [] },
    });
    expect(empty.body.message).toMatch(/at least one event type/);
    const ep = await addEndpoint(a.apiKey, '/ok/x');
    const list = await api.call('GET', '/v1/webhooks/endpoints', { key: a.apiKey });
    expect(list.body.endpoints).toHaveLength(1);
    expect(list.body.endpoints[0].secret).toBeUndefined();
    expect(list.body.endpoints[0].secretPrefix).toBe(ep.secret.slice(0, 10));
    expect((await api.call('DELETE', `/v1/webhooks/endpoints/${ep.id}`, { key: a.apiKey })).status).toBe(204);
    expect((await api.call('GET', `/v1/webhooks/endpoints/${ep.id}`, { key: a.apiKey })).status).toBe(404);
  });
});
