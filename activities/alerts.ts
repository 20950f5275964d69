import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Sql } from '../lib/db';
import { reconcileRule, undeliveredAlerts, type AlertKind, type AlertRuleOptions } from '../lib/alerts/rules';
import { AlertDeliveryError, deliverAlert } from '../lib/alerts/deliver';
import { alertsFired } from '../lib/metrics';

export interface AlertActivityDeps {
  sql: Sql;
  log: Logger;
  /** Platform-wide webhook (ALERT_WEBHOOK_URL) for alerts whose account has none, and for platform alerts. */
  globalWebhookUrl?: string;
}

/** Activities of alertsSweepWorkflow. Each is safe to retry: reconciling and delivering are idempotent by alert. */
export function createAlertActivities({ sql, log, globalWebhookUrl }: AlertActivityDeps) {
  return {
    async alertsReconcile({ kind, options }: { kind: AlertKind; options?: AlertRuleOptions }) {
      const r = await reconcileRule(sql, kind, options);
      if (r.fired.length) {
        alertsFired.inc({ kind }, r.fired.length);
        log.warn({ kind, alertIds: r.fired }, 'alerts fired');
      }
      if (r.cleared) log.info({ kind, cleared: r.cleared }, 'alerts cleared');
      return r;
    },
    async alertsUndelivered({ maxAttempts }: { maxAttempts: number }): Promise<string[]> {
      return undeliveredAlerts(sql, maxAttempts);
    },
    async alertsDeliver({ alertId }: { alertId: string }) {
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
