import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import type { Sql } from '../../lib/db';
import { attemptDelivery, type AttemptResult } from '../../lib/webhooks/deliver';
import {
  emitAlertEvent,
  emitCallEnded,
  emitCampaignEvent,
  emitEvent,
  emitTopUpPaid,
  startDeliveries,
  strandedDeliveries,
  type EmitArgs,
  type WebhookEmitter,
} from '../../lib/webhooks';
import type { CampaignEventType } from '../../lib/webhooks/events';

export interface WebhookActivityDeps {
  sql: Sql;
  log: Logger;
  config: Pick<
    Config,
    'ORCHESTRATION_TASK_QUEUE' | 'WEBHOOK_ALLOW_PRIVATE_URLS' | 'WEBHOOK_DISABLE_AFTER_HOURS' | 'APP_ORIGIN' | 'API_PORT'
  >;
  temporal?: Client;
  /** Tests: a short retry plan, a short disable window. */
  retryDelaysMs?: number[];
  disableAfterMs?: number;
}

/**
 * Activities of the webhook workflows, and emit activities for workflow code that wants to send an
 * event itself (call them with a short timeout and ignore failure: they never throw anyway).
 */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  const emitter: WebhookEmitter & { apiOrigin?: string } = {
    sql: deps.sql,
    log: deps.log,
    temporal: deps.temporal,
    taskQueue: deps.config.ORCHESTRATION_TASK_QUEUE,
    retryDelaysMs: deps.retryDelaysMs,
    apiOrigin: deps.config.APP_ORIGIN ?? `http://127.0.0.1:${deps.config.API_PORT}`,
  };
  return {
    async webhookAttempt({
      deliveryId,
      nextDelayMs,
    }: {
      deliveryId: string;
      nextDelayMs: number | null;
    }): Promise<AttemptResult> {
      const r = await attemptDelivery(deps.sql, deliveryId, nextDelayMs, {
        allowPrivate: deps.config.WEBHOOK_ALLOW_PRIVATE_URLS,
        disableAfterMs: deps.disableAfterMs ?? deps.config.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000,
      });
      if (r.outcome === 'failed') deps.log.warn({ deliveryId, attempt: r.attempt, error: r.error }, 'webhook attempt failed');
      if (r.disabledAlertId) {
        deps.log.warn({ deliveryId, alertId: r.disabledAlertId }, 'webhook endpoint disabled after failing too long');
        await emitAlertEvent(emitter, r.disabledAlertId, 'fired');
      }
      return r;
    },
    /** Starts the deliveries an emitter wrote but could not start (Temporal unreachable at that moment). */
    async webhookStartStranded(): Promise<{ started: number }> {
      return { started: await startDeliveries(emitter, await strandedDeliveries(deps.sql)) };
    },
    async webhookEmit(args: EmitArgs) {
      return emitEvent(emitter, args);
    },
    async webhookEmitCallEnded({ callId }: { callId: string }) {
      return emitCallEnded(emitter, callId);
    },
    async webhookEmitCampaign({
      campaignId,
      type,
      occurrence,
    }: {
      campaignId: string;
      type: CampaignEventType;
      occurrence?: string;
    }) {
      return emitCampaignEvent(emitter, campaignId, type, occurrence);
    },
    async webhookEmitTopUpPaid({ topUpId }: { topUpId: string }) {
      return emitTopUpPaid(emitter, topUpId);
    },
    async webhookEmitAlert({ alertId, state }: { alertId: string; state: 'fired' | 'cleared' }) {
      return emitAlertEvent(emitter, alertId, state);
    },
  };
}
export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
