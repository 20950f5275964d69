import { z } from 'zod';
import { EVENT_TYPES } from '../../lib/webhooks/events';

/** Request bodies of the webhook endpoint routes (the OpenAPI document is generated from these). */
const eventTypes = z
  .array(z.enum(EVENT_TYPES))
  .min(1, 'name at least one event type')
  .max(EVENT_TYPES.length)
  .refine((a) => new Set(a).size === a.length, 'event types must not repeat');

export const NewWebhookEndpointSchema = z
  .object({
    url: z.string().trim().min(8).max(2_000),
    eventTypes,
    description: z.string().max(500).optional(),
  })
  .strict();

export const UpdateWebhookEndpointSchema = z
  .object({
    url: z.string().trim().min(8).max(2_000).optional(),
    eventTypes: eventTypes.optional(),
    description: z.string().max(500).nullable().optional(),
    /** true re-enables an endpoint disabled after failing (and clears its alert); false disables it. */
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');

export const RotateSecretSchema = z
  .object({
    /** How long the old secret keeps signing beside the new one (default 24 h, at most 7 days, 0 = revoke now). */
    previousSecretTtlSec: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(86_400),
  })
  .strict();

export const DeliveriesQuerySchema = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed', 'endpoint_disabled']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** The `nextCursor` of the previous page. */
    cursor: z.string().max(200).optional(),
  })
  .strict();
