import { z } from 'zod';
import { Router } from 'express';
import { AccountPageSchema, NewAccountSchema, NewKeySchema } from './routes/admin';
import { RetentionSchema } from './routes/recordings';
import { AgentSchema, CallsQuerySchema, ContactsUploadSchema, NewCampaignSchema, PauseSchema, SettingsSchema } from './campaigns/schemas';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with, so the two
 * cannot drift. Bodies and query parameters come from the schemas; responses are described in words.
 */
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
const queryParams = (schema: z.ZodObject) => {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: s }));
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const windowParams = [
  { name: 'from', in: 'query', required: false, schema: { type: 'string', description: 'ISO date (midnight UTC) or date-time with offset; default: to - 30 days' } },
  { name: 'to', in: 'query', required: false, schema: { type: 'string', description: 'ISO date or date-time, exclusive; default: now; at most 400 days after from' } },
];
const ok = (description: string) => ({ description });
const errors = { '400': ok('validation failed: { error, message, details: [{ field, message }] }'), '401': ok('missing or invalid API key'), '404': ok('not found (or another account\'s)') };

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'aicall API', version: '1', description: 'Outbound AI phone-call campaigns. Money is in integer micro-units (1 USD = 1,000,000). Authenticate with `Authorization: Bearer <API key>`.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: { Agent: z.toJSONSchema(AgentSchema, { io: 'input' }), Settings: z.toJSONSchema(SettingsSchema, { io: 'input', unrepresentable: 'any' }) },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/campaigns': {
        post: { summary: 'Create a campaign (contacts inline, optional)', requestBody: body(NewCampaignSchema), responses: { '201': ok('the campaign and a report of accepted, duplicate and invalid contacts by line'), ...errors } },
        get: { summary: 'List campaigns', responses: { '200': ok('campaigns') } },
      },
      '/v1/campaigns/{id}': { get: { summary: 'A campaign with progress and spend', parameters: [idParam], responses: { '200': ok('campaign'), ...errors } } },
      '/v1/campaigns/{id}/contacts': {
        post: {
          summary: 'Add contacts to a draft campaign: text/csv with a header (phone, name, any variables) or JSON',
          parameters: [idParam],
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } }, ...body(ContactsUploadSchema).content } },
          responses: { '200': ok('report: accepted count, duplicates and invalid rows by line with the reason'), '409': ok('campaign already started'), ...errors },
        },
      },
      '/v1/campaigns/{id}/start': { post: { summary: 'Start dialing', parameters: [idParam], responses: { '202': ok('{ status, pauseReason }'), ...errors } } },
      '/v1/campaigns/{id}/pause': { post: { summary: 'Pause dialing (calls in flight finish)', parameters: [idParam], requestBody: { ...body(PauseSchema), required: false }, responses: { '200': ok('{ status, pauseReason }'), '409': ok('not started or finished'), ...errors } } },
      '/v1/campaigns/{id}/resume': { post: { summary: 'Resume dialing', parameters: [idParam], responses: { '200': ok('{ status, pauseReason }'), '409': ok('not started or finished'), ...errors } } },
      '/v1/campaigns/{id}/cancel': { post: { summary: 'Stop dialing; calls in flight finish and settle', parameters: [idParam], responses: { '200': ok('{ status, pauseReason }'), '409': ok('not started or finished'), ...errors } } },
      '/v1/campaigns/{id}/calls': { get: { summary: 'The campaign\'s calls, paginated', parameters: [idParam, ...queryParams(CallsQuerySchema)], responses: { '200': ok('{ calls, nextCursor }'), ...errors } } },
      '/v1/calls/{id}': { get: { summary: 'A call: status, Twilio CallSid (providerCallSid), cost breakdown, transcript, outcome', parameters: [idParam], responses: { '200': ok('call'), ...errors } } },
      '/v1/calls/{id}/recording': {
        get: {
          summary: 'The call\'s recording: stereo WAV, µ-law 8 kHz (left caller, right agent as heard); one byte range per request (Range: bytes=a-b) for seeking',
          parameters: [idParam, { name: 'Range', in: 'header', required: false, schema: { type: 'string', example: 'bytes=0-65535' } }],
          responses: { '200': ok('audio/wav, the whole file'), '206': ok('audio/wav, the range in Content-Range'), '416': ok('range outside the file; Content-Range: bytes */size'), ...errors },
        },
      },
      '/v1/recordings/retention': {
        get: { summary: 'The account\'s recording retention in days (null: kept)', responses: { '200': ok('{ days }') } },
        put: { summary: 'Set the account\'s recording retention; older recordings are deleted by the hourly retention schedule', requestBody: body(RetentionSchema), responses: { '200': ok('{ days }'), ...errors } },
      },
      '/v1/credits': { get: { summary: 'Available and held credit', responses: { '200': ok('{ available, held, currency, unit }') } } },
      '/v1/credits/statement': { get: { summary: 'Ledger statement, paginated', responses: { '200': ok('{ entries, nextCursor }') } } },
      '/v1/credits/topups': {
        post: { summary: 'Top up credit through Billplz; the payment URL is in the response', responses: { '201': ok('top-up with paymentUrl'), ...errors } },
        get: { summary: 'The account\'s top-ups', responses: { '200': ok('{ topups }') } },
      },
      '/v1/credits/topups/{id}': { get: { summary: 'One top-up and its status', parameters: [idParam], responses: { '200': ok('top-up'), ...errors } } },
      '/v1/admin/accounts': {
        post: { summary: 'Admin: create an account', requestBody: body(NewAccountSchema), responses: { '201': ok('account'), ...errors, '403': ok('not an admin key') } },
        get: { summary: 'Admin: list accounts, paginated by id', parameters: queryParams(AccountPageSchema), responses: { '200': ok('{ accounts, next }'), ...errors, '403': ok('not an admin key') } },
      },
      '/v1/admin/accounts/{id}': { get: { summary: 'Admin: an account with its balance and keys (prefixes only)', parameters: [idParam], responses: { '200': ok('account'), ...errors, '403': ok('not an admin key') } } },
      '/v1/admin/accounts/{id}/keys': {
        post: { summary: 'Admin: issue an API key for the account; the key is in this response only', parameters: [idParam], requestBody: { ...body(NewKeySchema), required: false }, responses: { '201': ok('{ id, key, prefix, role, accountId, label }'), ...errors, '403': ok('not an admin key') } },
      },
      '/v1/admin/keys/{id}/revoke': { post: { summary: 'Admin: revoke an API key', parameters: [idParam], responses: { '200': ok('{ id, revoked, alreadyRevoked }'), ...errors, '403': ok('not an admin key') } } },
      '/v1/reports/summary': {
        get: {
          summary: 'Calls, success and answer rates, average duration, minutes, cost / revenue / profit (total and per call) for the account over [from, to)',
          parameters: windowParams,
          responses: { '200': ok('{ accountId, from, to, calls, answered, completed, answerRate, successRate, averageDurationSec, billedSeconds, minutes, costMicro, revenueMicro, profitMicro, costPerCallMicro, revenuePerCallMicro, profitPerCallMicro }'), ...errors },
        },
      },
      '/v1/admin/reports/summary': {
        get: {
          summary: 'Admin: the same per account, plus top-up conversion (bills paid / bills created) and revenue per calendar month, and platform totals',
          parameters: windowParams,
          responses: { '200': ok('{ from, to, accounts: [summary & { accountId, name, topUps, monthlyRevenue }], totals }'), ...errors },
        },
      },
    },
  };
}

export function openApiRouter(): Router {
  const r = Router();
  const doc = openApiDocument();
  r.get('/openapi.json', (_req, res) => res.json(doc));
  return r;
}
