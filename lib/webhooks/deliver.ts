import { Agent, request } from 'undici';
import type { Sql } from '../db';
import { signedHeaders } from './signature';
import { BlockedDestinationError, checkUrl, guardedLookup, makeGuardedLookup, type Resolver } from './ssrf';

export interface AttemptOptions {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: development only; lets endpoints on loopback and private networks receive. */
  allowPrivate: boolean;
  /** An endpoint whose every attempt failed for this long is disabled (WEBHOOK_DISABLE_AFTER_HOURS). */
  disableAfterMs: number;
  timeoutMs?: number;
  now?: () => Date;
  /** Tests: resolve host names with this instead of the system resolver (still guarded). */
  resolver?: Resolver;
}

export interface AttemptResult {
  outcome: 'succeeded' | 'failed' | 'endpoint_disabled';
  attempt: number;
  httpStatus?: number;
  error?: string;
  /** The alert raised when this attempt disabled the endpoint. */
  disabledAlertId?: string;
}

// Connections to endpoints resolve through the guard: the address checked is the one connected to.
const guardedAgent = new Agent({ connect: { lookup: guardedLookup }, keepAliveTimeout: 10_000 });
const openAgent = new Agent({ keepAliveTimeout: 10_000 });

interface DeliveryRow {
  status: string;
  endpoint_id: string;
  account_id: string;
  event_id: string;
  payload: unknown;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_active: boolean;
  endpoint_status: string;
}

/**
 * One delivery attempt, recorded before the request (a crash mid-request still shows in the log)
 * and after it. HTTP failures are returned, not thrown: the delivery workflow's plan decides when
 * to try again. `nextDelayMs` (null on the plan's last attempt) is stored as next_attempt_at so the
 * delivery log says when the next try comes.
 */
export async function attemptDelivery(
  sql: Sql,
  deliveryId: string,
  nextDelayMs: number | null,
  opts: AttemptOptions,
): Promise<AttemptResult> {
  const [d] = await sql<DeliveryRow[]>`
    select d.status, d.endpoint_id, e.account_id, d.event_id, e.payload, p.url, p.secret, p.previous_secret,
           coalesce(p.previous_expires_at > now(), false) as previous_active, p.status as endpoint_status
    from webhook_deliveries d join webhook_events e on e.id = d.event_id join webhook_endpoints p on p.id = d.endpoint_id
    where d.id = ${deliveryId}`;
  // the endpoint was deleted (its deliveries cascade): nothing left to deliver to
  if (!d) return { outcome: 'endpoint_disabled', attempt: 0, error: 'endpoint deleted' };
  if (d.status === 'succeeded') return { outcome: 'succeeded', attempt: 0 };
  if (d.endpoint_status !== 'enabled') {
    await sql`update webhook_deliveries set status = 'endpoint_disabled', next_attempt_at = null, updated_at = now() where id = ${deliveryId} and status <> 'succeeded'`;
    return { outcome: 'endpoint_disabled', attempt: 0, error: 'endpoint disabled' };
  }
  const [counted] = await sql<{ attempts: number }[]>`
    update webhook_deliveries set attempts = attempts + 1, updated_at = now() where id = ${deliveryId} returning attempts`;
  const attempt = counted!.attempts;
  await sql`insert into webhook_attempts (delivery_id, attempt) values (${deliveryId}, ${attempt}) on conflict do nothing`;

  const body = JSON.stringify(d.payload);
  const secrets = d.previous_secret && d.previous_active ? [d.secret, d.previous_secret] : [d.secret];
  const started = Date.now();
  // a resolver given (tests) gets an agent of its own for this attempt, closed after it
  const ownAgent =
    !opts.allowPrivate && opts.resolver ? new Agent({ connect: { lookup: makeGuardedLookup(opts.resolver) } }) : undefined;
  let httpStatus: number | undefined;
  let error: string | undefined;
  try {
    const url = checkUrl(d.url, { allowPrivate: opts.allowPrivate });
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'aicall-webhooks/1',
        ...signedHeaders(secrets, d.event_id, Math.floor((opts.now?.() ?? new Date()).getTime() / 1000), body),
      },
      body,
      dispatcher: opts.allowPrivate ? openAgent : (ownAgent ?? guardedAgent),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    httpStatus = res.statusCode;
    // read (a little of) the answer so the connection can be reused; its content is not kept
    await res.body.dump({ limit: 65_536 }).catch(() => undefined);
    // redirects are not followed (a redirect could point anywhere): only 2xx counts
    if (httpStatus < 200 || httpStatus >= 300) error = `endpoint answered HTTP ${httpStatus}`;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const blocked = e instanceof BlockedDestinationError ? e : e.cause instanceof BlockedDestinationError ? e.cause : undefined;
    error = blocked
      ? `blocked destination: ${blocked.message}`
      : `request failed: ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
  }
  await ownAgent?.close().catch(() => undefined);
  const durationMs = Date.now() - started;
  error = error?.slice(0, 500);

  return sql.begin(async (tx) => {
    await tx`update webhook_attempts set duration_ms = ${durationMs}, http_status = ${httpStatus ?? null}, error = ${error ?? null}
             where delivery_id = ${deliveryId} and attempt = ${attempt}`;
    if (!error) {
      await tx`update webhook_deliveries set status = 'succeeded', delivered_at = now(), last_status = ${httpStatus!}, last_error = null,
                 next_attempt_at = null, updated_at = now() where id = ${deliveryId}`;
      await tx`update webhook_endpoints set failing_since = null where id = ${d.endpoint_id} and failing_since is not null`;
      return { outcome: 'succeeded' as const, attempt, httpStatus };
    }
    await tx`update webhook_endpoints set failing_since = coalesce(failing_since, now()) where id = ${d.endpoint_id}`;
    const [disabled] = await tx<{ id: string; url: string; failing_since: Date }[]>`
      update webhook_endpoints set status = 'disabled', updated_at = now(),
        disabled_reason = 'every delivery failed since ' || to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '; last: ' || ${error}::text
      where id = ${d.endpoint_id} and status = 'enabled' and failing_since <= now() - make_interval(secs => ${opts.disableAfterMs / 1000})
      returning id, url, failing_since`;
    if (disabled) {
      await tx`update webhook_deliveries set status = 'endpoint_disabled', last_status = ${httpStatus ?? null}, last_error = ${error}, next_attempt_at = null, updated_at = now()
               where endpoint_id = ${disabled.id} and status = 'pending'`;
      const [alert] = await tx<{ id: string }[]>`
        insert into alerts (account_id, kind, condition_key, payload)
        values (${d.account_id}, 'webhook_endpoint_disabled', ${`webhook_endpoint_disabled:${disabled.id}`},
                ${tx.json({ endpointId: disabled.id, url: disabled.url, failingSince: disabled.failing_since.toISOString(), lastError: error } as never)})
        on conflict (condition_key) where state = 'firing' do nothing
        returning id`;
      return { outcome: 'endpoint_disabled' as const, attempt, httpStatus, error, disabledAlertId: alert?.id };
    }
    await tx`update webhook_deliveries set status = ${nextDelayMs === null ? 'failed' : 'pending'}, last_status = ${httpStatus ?? null}, last_error = ${error},
               next_attempt_at = ${nextDelayMs === null ? null : new Date(Date.now() + nextDelayMs)}, updated_at = now()
             where id = ${deliveryId}`;
    return { outcome: 'failed' as const, attempt, httpStatus, error };
  });
}
