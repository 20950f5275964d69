import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { generateSecret } from '../../lib/webhooks/signature';
import { BlockedDestinationError, checkResolves, checkUrl } from '../../lib/webhooks/ssrf';
import { startDeliveries } from '../../lib/webhooks/emit';
import type { WebhookEventBody } from '../../lib/webhooks/events';
import type {
  Redelivery,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from '../contract/webhooks';
import { DeliveriesQuerySchema, NewWebhookEndpointSchema, RotateSecretSchema, UpdateWebhookEndpointSchema } from './schemas';

interface EndpointRow {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  secret: string;
  previous_secret: string | null;
  previous_expires_at: Date | null;
  status: string;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The secret is shown on creation and rotation only; afterwards its first characters identify it. */
const view = (e: EndpointRow): WebhookEndpoint => ({
  id: e.id,
  url: e.url,
  description: e.description,
  eventTypes: e.event_types,
  status: e.status,
  disabledReason: e.disabled_reason,
  failingSince: e.failing_since?.toISOString() ?? null,
  secretPrefix: e.secret.slice(0, 10),
  previousSecretExpiresAt:
    e.previous_secret && e.previous_expires_at && e.previous_expires_at > new Date() ? e.previous_expires_at.toISOString() : null,
  createdAt: e.created_at.toISOString(),
  updatedAt: e.updated_at.toISOString(),
});

export interface WebhooksRouterOptions {
  /** Tests: resolve host names without the system resolver. */
  resolver?: Parameters<typeof checkResolves>[1];
}

/** Webhook endpoints of the caller's account, their delivery log, and redelivery of one event. */
export function webhooksRouter({ sql, temporal, config, log }: AppDeps, opts: WebhooksRouterOptions = {}): Router {
  const r = Router();
  const uuid = z.uuid();
  const allowPrivate = config.WEBHOOK_ALLOW_PRIVATE_URLS;

  async function checkedUrl(raw: string): Promise<string> {
    try {
      const url = checkUrl(raw, { allowPrivate });
      if (!allowPrivate) await checkResolves(url.hostname, opts.resolver);
      return url.toString();
    } catch (err) {
      if (err instanceof BlockedDestinationError) throw new HttpError(400, 'url_not_allowed', `url: ${err.message}`);
      throw err;
    }
  }

  async function load(req: Request): Promise<EndpointRow> {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const [row] = id.success
      ? await sql<EndpointRow[]>`select * from webhook_endpoints where id = ${id.data} and account_id = ${accountId}`
      : [];
    if (!row) throw notFound('webhook endpoint');
    return row;
  }

  r.post('/webhooks/endpoints', async (req, res) => {
    const accountId = accountOf(req);
    const body = NewWebhookEndpointSchema.parse(req.body ?? {});
    const url = await checkedUrl(body.url);
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from webhook_endpoints where account_id = ${accountId}`;
    if (n!.n >= 20)
      throw new HttpError(409, 'too_many_endpoints', 'an account has at most 20 webhook endpoints; delete one first');
    const secret = generateSecret();
    const [row] = await sql<EndpointRow[]>`
      insert into webhook_endpoints (account_id, url, description, event_types, secret)
      values (${accountId}, ${url}, ${body.description ?? null}, ${body.eventTypes}, ${secret}) returning *`;
    res.status(201).json({ ...view(row!), secret } satisfies WebhookEndpointWithSecret);
  });

  r.get('/webhooks/endpoints', async (req, res) => {
    const rows = await sql<
      EndpointRow[]
    >`select * from webhook_endpoints where account_id = ${accountOf(req)} order by created_at`;
    res.json({ endpoints: rows.map(view) });
  });

  r.get('/webhooks/endpoints/:id', async (req, res) => {
    res.json(view(await load(req)));
  });

  r.patch('/webhooks/endpoints/:id', async (req, res) => {
    const e = await load(req);
    const body = UpdateWebhookEndpointSchema.parse(req.body ?? {});
    const url = body.url !== undefined ? await checkedUrl(body.url) : e.url;
    const enable = body.enabled === true && e.status === 'disabled';
    const disable = body.enabled === false && e.status === 'enabled';
    const [row] = await sql.begin(async (tx) => {
      const updated = await tx<EndpointRow[]>`
        update webhook_endpoints set url = ${url},
          event_types = ${body.eventTypes ?? e.event_types},
          description = ${body.description === undefined ? e.description : body.description},
          status = ${enable ? 'enabled' : disable ? 'disabled' : e.status},
          disabled_reason = ${enable ? null : disable ? 'disabled through the API' : e.disabled_reason},
          failing_since = ${enable ? null : e.failing_since},
          updated_at = now()
        where id = ${e.id} returning *`;
      // re-enabling answers the alert raised when it was disabled
      if (enable)
        await tx`update alerts set state = 'cleared', cleared_at = now() where condition_key = ${`webhook_endpoint_disabled:${e.id}`} and state = 'firing'`;
      return updated;
    });
    res.json(view(row!));
  });

  r.delete('/webhooks/endpoints/:id', async (req, res) => {
    const e = await load(req);
    await sql`delete from webhook_endpoints where id = ${e.id}`;
    res.status(204).end();
  });

  r.post('/webhooks/endpoints/:id/rotate-secret', async (req, res) => {
    const e = await load(req);
    const body = RotateSecretSchema.parse(req.body ?? {});
    const secret = generateSecret();
    const [row] = await sql<EndpointRow[]>`
      update webhook_endpoints set secret = ${secret}, previous_secret = ${e.secret},
        previous_expires_at = now() + make_interval(secs => ${body.previousSecretTtlSec}), updated_at = now()
      where id = ${e.id} returning *`;
    res.json({ ...view(row!), secret } satisfies WebhookEndpointWithSecret);
  });

  r.get('/webhooks/endpoints/:id/deliveries', async (req, res) => {
    const e = await load(req);
    const q = DeliveriesQuerySchema.parse(req.query);
    let after: { at: string; id: string } | undefined;
    if (q.cursor) {
      const [at, id] = (() => {
        try {
          const v: unknown = JSON.parse(Buffer.from(q.cursor!, 'base64url').toString());
          return Array.isArray(v) ? v : [];
        } catch {
          return [];
        }
      })();
      if (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || !uuid.safeParse(id).success)
        throw new HttpError(400, 'validation_failed', 'cursor: not a cursor from a previous page');
      after = { at, id: id as string };
    }
    const rows = await sql<
      {
        id: string;
        event_id: string;
        type: string;
        status: string;
        attempts: number;
        runs: number;
        last_status: number | null;
        last_error: string | null;
        next_attempt_at: Date | null;
        delivered_at: Date | null;
        created_at: Date;
        created_key: string;
      }[]
    >`
      select d.id, d.event_id, v.type, d.status, d.attempts, d.runs, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at,
             d.created_at::text as created_key
      from webhook_deliveries d join webhook_events v on v.id = d.event_id
      where d.endpoint_id = ${e.id}
        ${q.status ? sql`and d.status = ${q.status}` : sql``}
        ${after ? sql`and (d.created_at, d.id) < (${after.at}::text::timestamptz, ${after.id}::uuid)` : sql``}
      order by d.created_at desc, d.id desc limit ${q.limit + 1}`;
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      deliveries: page.map(
        (d) =>
          ({
            id: d.id,
            eventId: d.event_id,
            eventType: d.type,
            status: d.status,
            attempts: d.attempts,
            runs: d.runs,
            lastStatus: d.last_status,
            lastError: d.last_error,
            nextAttemptAt: d.next_attempt_at?.toISOString() ?? null,
            deliveredAt: d.delivered_at?.toISOString() ?? null,
            createdAt: d.created_at.toISOString(),
          }) satisfies WebhookDelivery,
      ),
      nextCursor:
        rows.length > q.limit && last ? Buffer.from(JSON.stringify([last.created_key, last.id])).toString('base64url') : null,
    });
  });

  /** A delivery of one of the caller's endpoints; another account's is 404 like a missing one. */
  const loadDelivery = async (req: Request) => {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const [d] = id.success
      ? await sql<
          {
            id: string;
            endpoint_id: string;
            endpoint_status: string;
            event_id: string;
            status: string;
            attempts: number;
            runs: number;
            payload: WebhookEventBody;
            created_at: Date;
            delivered_at: Date | null;
          }[]
        >`
      select d.id, d.endpoint_id, p.status as endpoint_status, d.event_id, d.status, d.attempts, d.runs, v.payload, d.created_at, d.delivered_at
      from webhook_deliveries d join webhook_events v on v.id = d.event_id join webhook_endpoints p on p.id = d.endpoint_id
      where d.id = ${id.data} and p.account_id = ${accountId}`
      : [];
    if (!d) throw notFound('delivery');
    return d;
  };

  r.get('/webhooks/deliveries/:id', async (req, res) => {
    const d = await loadDelivery(req);
    const attempts = await sql<
      { attempt: number; startedAt: Date; durationMs: number | null; httpStatus: number | null; error: string | null }[]
    >`
      select attempt, started_at as "startedAt", duration_ms as "durationMs", http_status as "httpStatus", error
      from webhook_attempts where delivery_id = ${d.id} order by attempt`;
    res.json({
      id: d.id,
      endpointId: d.endpoint_id,
      eventId: d.event_id,
      status: d.status,
      attempts: d.attempts,
      runs: d.runs,
      createdAt: d.created_at.toISOString(),
      deliveredAt: d.delivered_at?.toISOString() ?? null,
      event: d.payload,
      attemptLog: attempts.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
    } satisfies WebhookDeliveryDetail);
  });

  /** Sends the event again with the same id (receivers de-duplicate on it), on a fresh retry plan. */
  r.post('/webhooks/deliveries/:id/redeliver', async (req, res) => {
    const d = await loadDelivery(req);
    if (d.endpoint_status !== 'enabled')
      throw new HttpError(
        409,
        'endpoint_disabled',
        'the endpoint is disabled; enable it (PATCH enabled: true) before redelivering',
      );
    // runs counts every start; a redelivery while a run is still retrying starts a second run beside it
    const [row] = await sql<{ runs: number }[]>`
      update webhook_deliveries set runs = runs + 1, status = 'pending', next_attempt_at = now(), updated_at = now()
      where id = ${d.id} returning runs`;
    const started = await startDeliveries({ sql, temporal, taskQueue: config.ORCHESTRATION_TASK_QUEUE, log }, [
      { id: d.id, runs: row!.runs },
    ]);
    if (!started) throw new HttpError(503, 'temporarily_unavailable', 'the redelivery could not be started; try again');
    res.status(202).json({ deliveryId: d.id, eventId: d.event_id, run: row!.runs, status: 'pending' } satisfies Redelivery);
  });

  return r;
}
