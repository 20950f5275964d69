/**
 * Webhooks to the client. Entry points:
 *   emitEvent(emitter, { accountId, type, data, dedupKey })  any event
 *   emitCallEnded / emitCampaignEvent / emitTopUpPaid / emitAlertEvent  the built-in events, read from Postgres
 * All of them never throw and never wait for a delivery.
 */
import type { Logger } from 'pino';
import { alertData, callEndedData, campaignData, topUpData, type CampaignEventType } from './events';
import { emitEvent, type EmitResult, type WebhookEmitter } from './emit';

export { emitEvent, startDeliveries, strandedDeliveries, type WebhookEmitter, type EmitArgs, type EmitResult } from './emit';
export { EVENT_TYPES, EVENT_VERSION, type EventType, type WebhookEventBody } from './events';

async function guarded<T>(log: Logger, what: string, fn: () => Promise<T | null>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    log.error({ err }, `webhook event ${what} not emitted`);
    return null;
  }
}

/** `call.ended`, once per call: call after the call is settled (or finished unanswered). */
export function emitCallEnded(emitter: WebhookEmitter & { apiOrigin?: string }, callId: string): Promise<EmitResult | null> {
  return guarded(emitter.log, 'call.ended', async () => {
    const d = await callEndedData(emitter.sql, callId, { apiOrigin: emitter.apiOrigin });
    return (
      d && emitEvent(emitter, { accountId: d.accountId, type: 'call.ended', data: d.data, dedupKey: `call.ended:${callId}` })
    );
  });
}

/**
 * `campaign.started|paused|completed|canceled`. A campaign is paused and resumed many times, so a
 * pause is told apart by `occurrence` (e.g. the workflow's pause counter, or the pause update's id);
 * started / completed / canceled happen once.
 */
export function emitCampaignEvent(
  emitter: WebhookEmitter,
  campaignId: string,
  type: CampaignEventType,
  occurrence = '1',
): Promise<EmitResult | null> {
  return guarded(emitter.log, type, async () => {
    const d = await campaignData(emitter.sql, campaignId);
    return (
      d && emitEvent(emitter, { accountId: d.accountId, type, data: d.data, dedupKey: `${type}:${campaignId}:${occurrence}` })
    );
  });
}

/** `topup.paid`, once per top-up. */
export function emitTopUpPaid(emitter: WebhookEmitter, topUpId: string): Promise<EmitResult | null> {
  return guarded(emitter.log, 'topup.paid', async () => {
    const d = await topUpData(emitter.sql, topUpId);
    return (
      d && emitEvent(emitter, { accountId: d.accountId, type: 'topup.paid', data: d.data, dedupKey: `topup.paid:${topUpId}` })
    );
  });
}

/** `alert.fired` / `alert.cleared` of an account's alert (platform alerts have no account and are not sent). */
export function emitAlertEvent(emitter: WebhookEmitter, alertId: string, state: 'fired' | 'cleared'): Promise<EmitResult | null> {
  return guarded(emitter.log, `alert.${state}`, async () => {
    const d = await alertData(emitter.sql, alertId);
    if (!d?.accountId) return null;
    return emitEvent(emitter, {
      accountId: d.accountId,
      type: `alert.${state}`,
      data: d.data,
      dedupKey: `alert.${state}:${alertId}`,
    });
  });
}
