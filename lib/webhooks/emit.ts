import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sql } from '../db';
import { EVENT_VERSION, type EventType, type WebhookEventBody } from './events';
import { webhookDeliveryWorkflowId, type WebhookDeliveryInput } from './contract';

export interface WebhookEmitter {
  sql: Sql;
  /** Without a client the deliveries are written and the webhooks sweep starts them. */
  temporal?: Client;
  taskQueue: string;
  log: Logger;
  /** Tests shorten the retry plan. */
  retryDelaysMs?: number[];
}

export interface EmitArgs {
  accountId: string;
  type: EventType;
  data: Record<string, unknown>;
  /**
   * What makes this event this event, e.g. `call.ended:<callId>`: emitting twice with the same key
   * (an activity retried after a crash) yields the one event, with the one id, delivered once per
   * endpoint.
   */
  dedupKey: string;
}

export interface EmitResult {
  eventId: string;
  deliveries: string[];
}

/** `evt_` + 24 random bytes, base64url: opaque, unique, safe in a header. */
const newEventId = () => `evt_${randomBytes(18).toString('base64url')}`;

/**
 * THE entry point for sending an event to an account's webhooks. Records the event, one delivery per
 * enabled endpoint subscribed to its type, and starts a webhookDeliveryWorkflow for each (workflow id
 * `webhook/<deliveryId>/1`, so a second start is a no-op). Never throws and never waits for a
 * delivery: an error is logged and null returned, so the caller (settling a call, finishing a
 * campaign) goes on. A delivery whose workflow could not be started is picked up by the sweep.
 */
export async function emitEvent(emitter: WebhookEmitter, args: EmitArgs): Promise<EmitResult | null> {
  const { sql, log } = emitter;
  try {
    const created = await sql.begin(async (tx) => {
      const id = newEventId();
      const body: WebhookEventBody = {
        id,
        type: args.type,
        version: EVENT_VERSION,
        createdAt: new Date().toISOString(),
        accountId: args.accountId,
        data: args.data,
      };
      await tx`
        insert into webhook_events (id, account_id, type, dedup_key, payload)
        values (${id}, ${args.accountId}, ${args.type}, ${args.dedupKey}, ${tx.json(body as never)})
        on conflict (dedup_key) do nothing`;
      const [event] = await tx<{ id: string }[]>`select id from webhook_events where dedup_key = ${args.dedupKey}`;
      await tx`
        insert into webhook_deliveries (event_id, endpoint_id)
        select ${event!.id}, p.id from webhook_endpoints p
        where p.account_id = ${args.accountId} and p.status = 'enabled' and ${args.type} = any(p.event_types)
        on conflict (event_id, endpoint_id) do nothing`;
      // all not-yet-attempted deliveries of the event, including those a crashed earlier emit left
      const pending = await tx<{ id: string; runs: number }[]>`
        select id, runs from webhook_deliveries where event_id = ${event!.id} and status = 'pending' and attempts = 0`;
      return { eventId: event!.id, pending };
    });
    await startDeliveries(emitter, created.pending);
    return { eventId: created.eventId, deliveries: created.pending.map((p) => p.id) };
  } catch (err) {
    log.error({ err, type: args.type, accountId: args.accountId, dedupKey: args.dedupKey }, 'webhook event not emitted');
    return null;
  }
}

/** Starts the delivery workflow of each delivery (its current run); an already running one is left alone. */
export async function startDeliveries(emitter: WebhookEmitter, deliveries: { id: string; runs: number }[]): Promise<number> {
  if (!emitter.temporal) return 0;
  let started = 0;
  for (const d of deliveries) {
    const input: WebhookDeliveryInput = {
      deliveryId: d.id,
      run: d.runs,
      ...(emitter.retryDelaysMs ? { retryDelaysMs: emitter.retryDelaysMs } : {}),
    };
    try {
      await emitter.temporal.workflow.start('webhookDeliveryWorkflow', {
        workflowId: webhookDeliveryWorkflowId(d.id, d.runs),
        taskQueue: emitter.taskQueue,
        args: [input],
      });
      started += 1;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) continue;
      emitter.log.warn({ err, deliveryId: d.id }, 'webhook delivery not started; the sweep will retry');
    }
  }
  return started;
}

/** Deliveries written but never attempted for over `olderThanSec` (the emitter's start was lost). */
export async function strandedDeliveries(sql: Sql, olderThanSec = 60, limit = 500): Promise<{ id: string; runs: number }[]> {
  return sql<{ id: string; runs: number }[]>`
    select d.id, d.runs from webhook_deliveries d join webhook_endpoints p on p.id = d.endpoint_id
    where d.status = 'pending' and d.attempts = 0 and d.created_at < now() - make_interval(secs => ${olderThanSec}) and p.status = 'enabled'
    order by d.created_at limit ${limit}`;
}
