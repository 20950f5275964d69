import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Sql } from '../lib/db';
import { reconcileRule, undeliveredAlerts, type AlertKind, type AlertRuleOptions } from '../lib/alerts/rules';
import { AlertDeliveryError, deliverAlert } from '../lib/alerts/deliver';
import { alertsFired } from '../lib/metrics';
import { emitAlertEvent, type WebhookEmitter } from '../lib/webhooks';

export interface AlertActivityDeps {
  sql: Sql;
  log: Logger;
  /** Platform-wide webhook (ALERT_WEBHOOK_URL) for alerts whose account has none, and for platform alerts. */
  globalWebhookUrl?: string;
  /** Sends `alert.fired` / `alert.cleared` to the account's webhook endpoints (lib/webhooks). */
  webhooks?: WebhookEmitter;
}

/** Activities of alertsSweepWorkflow. Each is safe to retry: reconciling and delivering are idempotent by alert. */
export function createAlertActivities({ sql, log, globalWebhookUrl, webhooks }: AlertActivityDeps) {
  return {
    async alertsReconcile({ kind, options }: { kind: AlertKind; options?: AlertRuleOptions }) {
      const r = await reconcileRule(sql, kind, options);
      if (r.fired.length) {
        alertsFired.inc({ kind }, r.fired.length);
        log.warn({ kind, alertIds: r.fired }, 'alerts fired');
      }
      if (r.cleared) log.info({ kind, cleared: r.cleared }, 'alerts cleared');
      // emitting never throws; a clear is told once (its dedup key is the alert id)
      if (webhooks) for (const id of r.clearedIds) await emitAlertEvent(webhooks, id, 'cleared');
      return r;
    },
    async alertsUndelivered({ maxAttempts }: { maxAttempts: number }): Promise<string[]> {
      return undeliveredAlerts(sql, maxAttempts);
    },
    async alertsDeliver({ alertId }: { alertId: string }) {
      // Every firing alert passes here at least once, whoever raised it (the rules, a paused
      // campaign, a disabled webhook endpoint): the account's endpoints hear of it once.
      if (webhooks) await emitAlertEvent(webhooks, alertId, 'fired');
      try {
        return await deliverAlert(sql, alertId, { globalWebhookUrl });
      } catch (err) {
        if (err instanceof AlertDeliveryError) {
          log.warn({ alertId, err: err.message }, 'alert delivery failed');
          throw ApplicationFailure.retryable(err.message, 'AlertDeliveryFailed');
        }
        throw err;
      }
    },
  };
}
export type AlertActivities = ReturnType<typeof createAlertActivities>;
