import { proxyActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks';
import { DEFAULT_RETRY_DELAYS_MS, type WebhookDeliveryInput, type WebhookDeliveryResult } from './contract';
import { DeliveryPlan } from './plan';

// One HTTP attempt per activity run. An HTTP failure is a result, not an exception (the plan below
// owns that schedule); the activity retry policy only covers the worker or Postgres failing.
const { webhookAttempt } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/**
 * Delivers one event to one endpoint: attempt, and on failure wait the plan's delay and attempt
 * again, until a 2xx, the plan's last attempt, or the endpoint being disabled. Started by
 * emitEvent (never awaited by the caller), so a dead endpoint cannot hold up a call or campaign.
 */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const plan = new DeliveryPlan(input.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS);
  for (;;) {
    const attempt = plan.begin();
    const delay = plan.delayAfterFailure;
    const r = await webhookAttempt({ deliveryId: input.deliveryId, nextDelayMs: delay ?? null });
    if (r.outcome !== 'failed' || delay === undefined) {
      return {
        deliveryId: input.deliveryId,
        status: r.outcome === 'succeeded' ? 'succeeded' : r.outcome === 'endpoint_disabled' ? 'endpoint_disabled' : 'failed',
        attempts: attempt,
      };
    }
    await sleep(delay);
  }
}

const { webhookStartStranded } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/** Every minute (Schedule `webhooks-sweep`): starts deliveries whose emitter could not reach Temporal. */
export async function webhooksSweepWorkflow(): Promise<{ started: number }> {
  return webhookStartStranded();
}
