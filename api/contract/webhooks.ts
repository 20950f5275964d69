import { z } from 'zod';
import { EVENT_TYPES } from '../../lib/webhooks/events';
import {
  DeliveriesQuerySchema,
  NewWebhookEndpointSchema,
  RotateSecretSchema,
  UpdateWebhookEndpointSchema,
} from '../webhooks/schemas';
import { IdPath, Instant, type Operation } from './common';

/** Webhook endpoints, their delivery log and redelivery: what api/webhooks/routes.ts returns. */

export const WebhookEndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string().meta({ format: 'uri', example: 'https://hooks.example.com/aicall' }),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()).meta({ description: `Any of: ${EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}.` }),
    status: z.string().meta({
      description: '`enabled`, or `disabled` (through the API, or after failing for too long: see `disabledReason`).',
      example: 'enabled',
    }),
    disabledReason: z.string().nullable(),
    failingSince: Instant.nullable().meta({
      description: 'When deliveries started failing without a success since; null while they succeed.',
    }),
    secretPrefix: z
      .string()
      .meta({ description: 'The first characters of the signing secret, to tell secrets apart.', example: 'whsec_AbCd' }),
    previousSecretExpiresAt: Instant.nullable().meta({
      description: 'After a rotation: until when the old secret still signs beside the new one.',
    }),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().meta({
    description: 'The signing secret (Standard Webhooks, `whsec_…`). Shown in this answer only: store it now.',
    example: 'whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
  }),
}).meta({ id: 'WebhookEndpointWithSecret' });
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecretSchema>;

export const WebhookEndpointListSchema = z
  .object({ endpoints: z.array(WebhookEndpointSchema) })
  .meta({ id: 'WebhookEndpointList' });

export const WebhookDeliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.string().meta({ example: 'evt_3q2b1a0Z9y8x7w6v5u4t3s2r' }),
    eventType: z.string().meta({ example: 'call.ended' }),
    status: z.string().meta({ description: '`pending`, `succeeded`, `failed` or `endpoint_disabled`.', example: 'succeeded' }),
    attempts: z.number().int().meta({ description: 'HTTP attempts made, over every run.' }),
    runs: z.number().int().meta({ description: '1, plus one per redelivery.' }),
    lastStatus: z.number().int().nullable().meta({ description: 'The HTTP status of the last attempt; null when it got none.' }),
    lastError: z.string().nullable(),
    nextAttemptAt: Instant.nullable(),
    deliveredAt: Instant.nullable(),
    createdAt: Instant,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const WebhookDeliveryPageSchema = z
  .object({
    deliveries: z.array(WebhookDeliverySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'WebhookDeliveryPage' });

export const WebhookEventSchema = z
  .object({
    id: z.string().meta({
      description: 'Also the `webhook-id` header; the same on every retry and redelivery, so receivers de-duplicate on it.',
    }),
    type: z.enum(EVENT_TYPES),
    version: z.literal(1),
    createdAt: Instant,
    accountId: z.uuid(),
    data: z.record(z.string(), z.unknown()).meta({
      description:
        "Per type: `call.ended` carries the call as GET /v1/calls/{id} shows it; campaign events the campaign's id and status; …",
    }),
  })
  .meta({ id: 'WebhookEvent', description: 'The body sent to the endpoint.' });

export const WebhookDeliveryDetailSchema = z
  .object({
    id: z.uuid(),
    endpointId: z.uuid(),
    eventId: z.string(),
    status: z.string().meta({ example: 'failed' }),
    attempts: z.number().int(),
    runs: z.number().int(),
    createdAt: Instant,
    deliveredAt: Instant.nullable(),
    event: WebhookEventSchema,
    attemptLog: z.array(
      z.object({
        attempt: z.number().int(),
        startedAt: Instant,
        durationMs: z.number().int().nullable(),
        httpStatus: z
          .number()
          .int()
          .nullable()
          .meta({ description: 'null when no answer came (timeout, refused connection, …): see `error`.' }),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDeliveryDetail' });
export type WebhookDeliveryDetail = z.infer<typeof WebhookDeliveryDetailSchema>;

export const RedeliverySchema = z
  .object({
    deliveryId: z.uuid(),
    eventId: z.string(),
    run: z.number().int().meta({ description: "This run's number (the delivery's `runs`)." }),
    status: z.literal('pending'),
  })
  .meta({ id: 'Redelivery' });
export type Redelivery = z.infer<typeof RedeliverySchema>;

const exampleEndpoint: WebhookEndpoint = {
  id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
  url: 'https://hooks.example.com/aicall',
  description: 'CRM sync',
  eventTypes: ['call.ended', 'campaign.completed'],
  status: 'enabled',
  disabledReason: null,
  failingSince: null,
  secretPrefix: 'whsec_AbCd',
  previousSecretExpiresAt: null,
  createdAt: '2026-12-05T01:00:00.000Z',
  updatedAt: '2026-12-05T01:00:00.000Z',
};
const withSecret: WebhookEndpointWithSecret = { ...exampleEndpoint, secret: 'whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345' };
const exampleDelivery: WebhookDelivery = {
  id: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
  eventId: 'evt_3q2b1a0Z9y8x7w6v5u4t3s2r',
  eventType: 'call.ended',
  status: 'succeeded',
  attempts: 2,
  runs: 1,
  lastStatus: 200,
  lastError: null,
  nextAttemptAt: null,
  deliveredAt: '2026-12-05T01:25:09.120Z',
  createdAt: '2026-12-05T01:25:03.000Z',
};
const notFound = { 404: 'No such webhook endpoint in this account.' } as const;
const deliveryNotFound = { 404: 'No such delivery in this account.' } as const;

export const webhookOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/webhooks/endpoints',
    operationId: 'createWebhookEndpoint',
    tag: 'webhooks',
    auth: 'client',
    summary: 'Add a webhook endpoint',
    description:
      'Events of the listed types are POSTed to `url`, signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`), retried with backoff, and the endpoint is disabled after failing for days. The URL must be public (http or https, not a private or loopback address). At most 20 endpoints per account.',
    body: {
      schema: NewWebhookEndpointSchema,
      example: {
        url: 'https://hooks.example.com/aicall',
        eventTypes: ['call.ended', 'campaign.completed'],
        description: 'CRM sync',
      },
    },
    ok: {
      status: 201,
      description: 'The endpoint, with its signing secret (shown only here and on rotation).',
      schema: WebhookEndpointWithSecretSchema,
      example: withSecret,
    },
    errors: { 409: 'The account already has 20 endpoints.' },
  },
  {
    method: 'get',
    path: '/v1/webhooks/endpoints',
    operationId: 'listWebhookEndpoints',
    tag: 'webhooks',
    auth: 'client',
    summary: "The account's webhook endpoints (oldest first)",
    ok: {
      status: 200,
      description: 'The endpoints (without their secrets).',
      schema: WebhookEndpointListSchema,
      example: { endpoints: [exampleEndpoint] },
    },
  },
  {
    method: 'get',
    path: '/v1/webhooks/endpoints/{id}',
    operationId: 'getWebhookEndpoint',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'One webhook endpoint',
    ok: { status: 200, description: 'The endpoint.', schema: WebhookEndpointSchema, example: exampleEndpoint },
    errors: notFound,
  },
  {
    method: 'patch',
    path: '/v1/webhooks/endpoints/{id}',
    operationId: 'updateWebhookEndpoint',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'Change an endpoint, or enable / disable it',
    description:
      'Any of `url`, `eventTypes`, `description`, `enabled`. `enabled: true` re-enables an endpoint disabled after failing and clears its alert.',
    body: { schema: UpdateWebhookEndpointSchema, example: { eventTypes: ['call.ended'], enabled: true } },
    ok: {
      status: 200,
      description: 'The endpoint now.',
      schema: WebhookEndpointSchema,
      example: { ...exampleEndpoint, eventTypes: ['call.ended'] },
    },
    errors: notFound,
  },
  {
    method: 'delete',
    path: '/v1/webhooks/endpoints/{id}',
    operationId: 'deleteWebhookEndpoint',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'Delete an endpoint and its delivery log',
    ok: { status: 204, description: 'Deleted.' },
    errors: notFound,
  },
  {
    method: 'post',
    path: '/v1/webhooks/endpoints/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'A new signing secret',
    description:
      'The old secret keeps signing beside the new one (two signatures in `webhook-signature`) for `previousSecretTtlSec` (default 24 hours; 0 revokes it now), so receivers can switch without dropping events.',
    body: { schema: RotateSecretSchema, example: { previousSecretTtlSec: 3600 }, required: false },
    ok: {
      status: 200,
      description: 'The endpoint with its new secret (shown only here).',
      schema: WebhookEndpointWithSecretSchema,
      example: { ...withSecret, previousSecretExpiresAt: '2026-12-05T02:00:00.000Z' },
    },
    errors: notFound,
  },
  {
    method: 'get',
    path: '/v1/webhooks/endpoints/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    query: DeliveriesQuerySchema,
    summary: "The endpoint's delivery log, newest first, paginated",
    ok: {
      status: 200,
      description: 'A page of deliveries.',
      schema: WebhookDeliveryPageSchema,
      example: { deliveries: [exampleDelivery], nextCursor: null },
    },
    errors: notFound,
  },
  {
    method: 'get',
    path: '/v1/webhooks/deliveries/{id}',
    operationId: 'getWebhookDelivery',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'One delivery: the event as sent and every attempt',
    ok: {
      status: 200,
      description: 'The delivery.',
      schema: WebhookDeliveryDetailSchema,
      example: {
        id: exampleDelivery.id,
        endpointId: exampleEndpoint.id,
        eventId: exampleDelivery.eventId,
        status: 'succeeded',
        attempts: 2,
        runs: 1,
        createdAt: exampleDelivery.createdAt,
        deliveredAt: exampleDelivery.deliveredAt,
        event: {
          id: exampleDelivery.eventId,
          type: 'campaign.completed',
          version: 1,
          createdAt: exampleDelivery.createdAt,
          accountId: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f',
          data: { campaignId: '5b0c6f7e-2d1a-4c1e-9a77-0f3f2b4d8e61', status: 'completed' },
        },
        attemptLog: [
          {
            attempt: 1,
            startedAt: '2026-12-05T01:25:03.100Z',
            durationMs: 10000,
            httpStatus: null,
            error: 'timeout after 10000 ms',
          },
          { attempt: 2, startedAt: '2026-12-05T01:25:09.000Z', durationMs: 120, httpStatus: 200, error: null },
        ],
      } satisfies WebhookDeliveryDetail,
    },
    errors: deliveryNotFound,
  },
  {
    method: 'post',
    path: '/v1/webhooks/deliveries/{id}/redeliver',
    operationId: 'redeliverWebhook',
    tag: 'webhooks',
    auth: 'client',
    params: IdPath,
    summary: 'Send the event again',
    description:
      'The same event (same id, so receivers de-duplicate) on a fresh retry plan. Answers once the run has started, not when it is delivered: follow it in GET /v1/webhooks/deliveries/{id}.',
    ok: {
      status: 202,
      description: 'The redelivery has started.',
      schema: RedeliverySchema,
      example: {
        deliveryId: exampleDelivery.id,
        eventId: exampleDelivery.eventId,
        run: 2,
        status: 'pending',
      } satisfies Redelivery,
    },
    errors: {
      ...deliveryNotFound,
      409: 'The endpoint is disabled: enable it first.',
      503: 'The redelivery could not be started; try again.',
    },
  },
];
