import type { Sql } from '../db';

export class AlertDeliveryError extends Error {
  override name = 'AlertDeliveryError';
}

export interface AlertMessage {
  id: string;
  kind: string;
  state: 'firing' | 'cleared';
  conditionKey: string;
  accountId: string | null;
  firedAt: string;
  payload: Record<string, unknown>;
}

/**
 * One delivery attempt of an alert: POST JSON to the account's `alert_webhook_url`, else the
 * platform's ALERT_WEBHOOK_URL. The attempt is counted before the request (a crash mid-request
 * still counts it); a 2xx marks it delivered. The alert id rides in `Idempotency-Key` so a
 * receiver can drop the duplicate a retry after a lost reply sends. Throws AlertDeliveryError on
 * a failed attempt so the caller's retry policy runs.
 */
export async function deliverAlert(
  sql: Sql,
  alertId: string,
  opts: { globalWebhookUrl?: string; timeoutMs?: number } = {},
): Promise<{ delivered: boolean; reason?: string; attempts: number }> {
  const [a] = await sql<
    {
      id: string;
      kind: string;
      state: 'firing' | 'cleared';
      condition_key: string;
      account_id: string | null;
      fired_at: Date;
      payload: Record<string, unknown>;
      delivery_state: string;
      delivery_attempts: number;
      url: string | null;
    }[]
  >`
    select al.id, al.kind, al.state, al.condition_key, al.account_id, al.fired_at, al.payload, al.delivery_state,
           al.delivery_attempts, ac.alert_webhook_url as url
    from alerts al left join accounts ac on ac.id = al.account_id
    where al.id = ${alertId}`;
  if (!a) return { delivered: false, reason: 'no such alert', attempts: 0 };
  if (a.delivery_state === 'delivered') return { delivered: true, attempts: a.delivery_attempts };
  const url = a.url ?? opts.globalWebhookUrl;
  if (!url) {
    await sql`update alerts set delivery_state = 'undeliverable', last_delivery_error = 'no webhook URL configured' where id = ${alertId}`;
    return { delivered: false, reason: 'no webhook URL configured', attempts: a.delivery_attempts };
  }
  const [counted] = await sql<{ attempts: number }[]>`
    update alerts set delivery_attempts = delivery_attempts + 1, last_attempt_at = now() where id = ${alertId}
    returning delivery_attempts as attempts`;
  const attempts = counted!.attempts;
  const message: AlertMessage = {
    id: a.id,
    kind: a.kind,
    state: a.state,
    conditionKey: a.condition_key,
    accountId: a.account_id,
    firedAt: a.fired_at.toISOString(),
    payload: a.payload,
  };
  let failure: string | undefined;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': a.id, 'user-agent': 'aicall-alerts/1' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      redirect: 'error',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) failure = `webhook answered HTTP ${res.status}`;
  } catch (err) {
    failure = `webhook request failed: ${(err as Error).message}`.slice(0, 500);
  }
  if (failure) {
    await sql`update alerts set delivery_state = 'failing', last_delivery_error = ${failure} where id = ${alertId}`;
    throw new AlertDeliveryError(failure);
  }
  await sql`update alerts set delivery_state = 'delivered', delivered_at = now(), last_delivery_error = null where id = ${alertId}`;
  return { delivered: true, attempts };
}
