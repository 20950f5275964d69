/** Input and ids of the webhook workflows; imported by the emitter, the API and the workers. */

export interface WebhookDeliveryInput {
  deliveryId: string;
  /** 1 for the first delivery, 2… for each redelivery through the API. Part of the workflow id. */
  run: number;
  /** Waits between attempts, ms; default DEFAULT_RETRY_DELAYS_MS. Tests use short ones. */
  retryDelaysMs?: number[];
}

export interface WebhookDeliveryResult {
  deliveryId: string;
  status: 'succeeded' | 'failed' | 'endpoint_disabled';
  attempts: number;
}

export const webhookDeliveryWorkflowId = (deliveryId: string, run: number) => `webhook/${deliveryId}/${run}`;

/**
 * After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — the Standard Webhooks /
 * Svix schedule, eight attempts over 27 h 35 min, so a receiver down for a day still gets the event.
 */
export const DEFAULT_RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export const WEBHOOKS_SWEEP_SCHEDULE_ID = 'webhooks-sweep';
