import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../../activities/alerts';
import type { AlertKind } from '../../lib/alerts/rules';
import type { AlertsSweepInput, AlertsSweepResult } from './contract';

const KINDS: AlertKind[] = [
  'low_balance',
  'campaign_failure_rate',
  'provider_5xx_burst',
  'insufficient_credits',
  'negative_margin',
];

const { alertsReconcile, alertsUndelivered } = proxyActivities<AlertActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/**
 * One pass of alerting, started every minute by the `alerts-sweep` Schedule: reconcile every rule
 * (fire new conditions, clear resolved ones), then deliver every firing alert not yet delivered —
 * those fired now and those earlier sweeps failed to deliver. Delivery retries follow the activity
 * retry policy; an alert still failing is left for the next sweep, so one dead webhook never fails
 * the sweep or blocks the other alerts.
 */
export async function alertsSweepWorkflow(input: AlertsSweepInput = {}): Promise<AlertsSweepResult> {
  const d = input.delivery ?? {};
  const { alertsDeliver } = proxyActivities<AlertActivities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: d.initialInterval ?? '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: d.maximumAttempts ?? 5,
      nonRetryableErrorTypes: [],
    },
  });
  const results = await Promise.all(KINDS.map((kind) => alertsReconcile({ kind, options: input.rules })));
  const pending = await alertsUndelivered({ maxAttempts: d.maxTotalAttempts ?? 20 });
  const outcomes = await Promise.allSettled(pending.map((alertId) => alertsDeliver({ alertId })));
  return {
    fired: results.flatMap((r) => r.fired),
    cleared: results.reduce((n, r) => n + r.cleared, 0),
    delivered: pending.filter((_, i) => {
      const o = outcomes[i]!;
      return o.status === 'fulfilled' && o.value.delivered;
    }),
    undelivered: pending.filter((_, i) => {
      const o = outcomes[i]!;
      return o.status === 'rejected' || !o.value.delivered;
    }),
  };
}
