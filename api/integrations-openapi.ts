import { z } from 'zod';
import { DeliveriesQuerySchema, NewWebhookEndpointSchema, RotateSecretSchema, UpdateWebhookEndpointSchema } from './webhooks/schemas';
import { AddSuppressionsSchema, ImportSuppressionsQuerySchema, RemoveSuppressionQuerySchema, SuppressionsQuerySchema } from './suppressions/schemas';
import { PreviewQuerySchema } from './templates/schemas';
import { PutAnalysisSchema } from './analysis/routes';

/**
 * OpenAPI paths of the integrations routes (webhooks, do-not-call, template preview), generated
 * from the zod schemas those routes validate with. api/openapi.ts spreads them into its `paths`.
 */
const js = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: js(s) } } });
const query = (s: z.ZodObject) => {
  const j = js(s) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(j.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: j.required?.includes(name) ?? false, schema }));
};
const id = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: what });
const phone = { name: 'phone', in: 'path', required: true, schema: { type: 'string' }, description: 'E.164 number, `+` written %2B' };
const ok = (description: string) => ({ description });
const errors = { '400': ok('validation failed: { error, message, details? }'), '401': ok('missing or invalid API key'), '404': ok('not found (or another account\'s)') };
const admin = { '403': ok('not an admin key') };
const suppressionEntry = '{ phone, accountId (null: platform list), reason, source: opt_out | manual | import, callId, createdAt }';
const addReport = '{ added, alreadySuppressed: [{ line, phone }], duplicates: [{ line, phone, duplicateOfLine }], invalid: [{ line, phone, reason }] }';
const csvOrJson = { required: true, content: { 'text/csv': { schema: { type: 'string', description: 'header row with a phone column (phone, phone_number, number, mobile or msisdn) and optionally reason' } }, ...body(AddSuppressionsSchema).content } };

function suppressionPaths(base: string, who: string, extra: Record<string, unknown>) {
  return {
    [base]: {
      get: { summary: `${who}: the do-not-call list, newest first`, parameters: query(SuppressionsQuerySchema), responses: { '200': ok(`{ suppressions: [${suppressionEntry}], nextCursor }`), ...errors, ...extra } },
      post: {
        summary: `${who}: add numbers (JSON, source manual) or import a CSV (text/csv, source import)`,
        parameters: query(ImportSuppressionsQuerySchema),
        requestBody: csvOrJson,
        responses: { '201': ok(`some were added: ${addReport}`), '200': ok(`none were new: ${addReport}`), ...errors, ...extra },
      },
    },
    [`${base}/{phone}`]: {
      get: { summary: `${who}: one number's entry`, parameters: [phone], responses: { '200': ok(suppressionEntry), ...errors, ...extra } },
      delete: {
        summary: `${who}: remove a number; a callee's own opt-out needs force=true`,
        parameters: [phone, ...query(RemoveSuppressionQuerySchema)],
        responses: { '204': ok('removed'), '409': ok('an opt_out entry without force=true'), ...errors, ...extra },
      },
    },
  };
}

const endpointView = '{ id, url, description, eventTypes, status: enabled | disabled, disabledReason, failingSince, secretPrefix, previousSecretExpiresAt, createdAt, updatedAt }';

export function integrationsPaths() {
  return {
    '/v1/webhooks/endpoints': {
      post: { summary: 'Add a webhook endpoint; its signing secret (whsec_…) is in this response only', requestBody: body(NewWebhookEndpointSchema), responses: { '201': ok(`${endpointView} & { secret }`), '409': ok('at most 20 endpoints per account'), ...errors } },
      get: { summary: 'The account\'s webhook endpoints', responses: { '200': ok(`{ endpoints: [${endpointView}] }`), ...errors } },
    },
    '/v1/webhooks/endpoints/{id}': {
      get: { summary: 'One webhook endpoint', parameters: [id('endpoint')], responses: { '200': ok(endpointView), ...errors } },
      patch: { summary: 'Change an endpoint\'s URL, event types or description, or enable / disable it (enabling clears its disabled alert)', parameters: [id('endpoint')], requestBody: body(UpdateWebhookEndpointSchema), responses: { '200': ok(endpointView), ...errors } },
      delete: { summary: 'Delete an endpoint and its delivery log', parameters: [id('endpoint')], responses: { '204': ok('deleted'), ...errors } },
    },
    '/v1/webhooks/endpoints/{id}/rotate-secret': {
      post: { summary: 'New signing secret; the old one keeps signing beside it for previousSecretTtlSec (default 24 h)', parameters: [id('endpoint')], requestBody: { ...body(RotateSecretSchema), required: false }, responses: { '200': ok(`${endpointView} & { secret }`), ...errors } },
    },
    '/v1/webhooks/endpoints/{id}/deliveries': {
      get: { summary: 'The endpoint\'s delivery log, newest first', parameters: [id('endpoint'), ...query(DeliveriesQuerySchema)], responses: { '200': ok('{ deliveries: [{ id, eventId, eventType, status, attempts, runs, lastStatus, lastError, nextAttemptAt, deliveredAt, createdAt }], nextCursor }'), ...errors } },
    },
    '/v1/webhooks/deliveries/{id}': {
      get: { summary: 'One delivery: the event as sent and every attempt (time, duration, HTTP status, error)', parameters: [id('delivery')], responses: { '200': ok('{ id, endpointId, eventId, status, attempts, runs, createdAt, deliveredAt, event, attemptLog }'), ...errors } },
    },
    '/v1/webhooks/deliveries/{id}/redeliver': {
      post: { summary: 'Send the event again (same event id) on a fresh retry plan', parameters: [id('delivery')], responses: { '202': ok('{ deliveryId, eventId, run, status }'), '409': ok('the endpoint is disabled'), '503': ok('could not be started; try again'), ...errors } },
    },
    ...suppressionPaths('/v1/suppressions', 'Do-not-call', {}),
    ...suppressionPaths('/v1/admin/suppressions', 'Admin, platform-wide do-not-call (applies to every account)', admin),
    '/v1/campaigns/{id}/analysis': {
      get: { summary: 'The campaign\'s post-call analysis settings (null: none)', parameters: [id('campaign')], responses: { '200': ok('{ analysis: { summary, fields: [{ name, type, description, values? }] } | null }'), ...errors } },
      put: { summary: 'Set the post-call analysis: a summary and fields to extract (text, number, boolean, enum, date, datetime); null turns it off', parameters: [id('campaign')], requestBody: body(PutAnalysisSchema), responses: { '200': ok('{ analysis }'), ...errors } },
    },
    '/v1/campaigns/{id}/preview': {
      get: {
        summary: 'The agent\'s first message, system prompt and voicemail message rendered for one contact, the variables used, any missing, and the disclosure check',
        parameters: [id('campaign'), ...query(PreviewQuerySchema)],
        responses: { '200': ok('{ contactId, phone, variables, missing, firstMessage, systemPrompt, voicemailMessage, disclosure: { ok, missing, message? } }'), ...errors },
      },
    },
  };
}
