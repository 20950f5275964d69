import { z } from 'zod';
import 'zod-openapi';

/**
 * The pieces every operation of the contract shares: the error body, the id path parameter, the
 * Idempotency-Key header, and `Operation`, the one shape in which a route is written down.
 */

export const ErrorSchema = z
  .object({
    error: z
      .string()
      .meta({ description: 'A stable, machine-readable code, e.g. `validation_failed`, `not_found`, `campaign_finished`.' }),
    message: z.string().meta({ description: 'What went wrong and, where it helps, what to send instead.' }),
    details: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'On `validation_failed`: each field at fault (dotted path, `(body)` for the body itself) and why.' }),
    status: z.string().optional().meta({ description: "On a 409 about a resource's state: that state, e.g. `completed`." }),
  })
  .meta({ id: 'Error', description: 'Every 4xx and 5xx answer has this shape.' });
export type ErrorBody = z.infer<typeof ErrorSchema>;

export const IdPath = z.object({
  id: z.uuid().meta({ description: "The resource's id (a UUID).", example: '5b0c6f7e-2d1a-4c1e-9a77-0f3f2b4d8e61' }),
});

/** A phone number in the path: E.164 with its `+` written %2B (other forms are read as Malaysian). */
export const PhonePath = z.object({
  phone: z.string().min(1).max(40).meta({ description: 'The number in E.164, `+` written `%2B`.', example: '+60123456789' }),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().meta({
    description:
      'Any string of 1–255 characters, unique per intended request (a UUID is best). A retry with the same key and body gets the first answer again (with `Idempotent-Replayed: true`); the same key with a different body is 422; while the first request is still running, 409. Keys are kept per account for 24 hours.',
    example: '0e7b1c9a-6c55-4b0b-9a43-6c2cf1f0f1d2',
  }),
});

/** ISO 8601 instant as the API writes it (UTC, `Z`). */
export const Instant = z.iso.datetime().meta({ example: '2026-12-05T01:23:45.678Z' });
/** Integer micro-units of the account's currency (1 USD = 1,000,000). */
export const Micro = z.number().int().meta({ description: 'Integer micro-units of the currency (1 USD = 1,000,000).' });

export type Tag =
  'campaigns' | 'calls' | 'recordings' | 'credits' | 'top-ups' | 'reports' | 'webhooks' | 'suppressions' | 'admin';
export const TAGS: { name: Tag; description: string }[] = [
  { name: 'campaigns', description: 'Campaigns: an agent, settings and contacts; started, paused, resumed and canceled.' },
  { name: 'calls', description: 'One call attempt: status, cost breakdown, transcript and outcome.' },
  { name: 'recordings', description: 'Call recordings (stereo WAV) and how long the account keeps them.' },
  { name: 'credits', description: 'The prepaid credit balance and its ledger statement.' },
  { name: 'top-ups', description: 'Buying credit through a Billplz payment page.' },
  { name: 'reports', description: 'Call and revenue figures over a time window.' },
  {
    name: 'webhooks',
    description: 'Endpoints that receive signed events (call ended, campaign started, …), their delivery log and redelivery.',
  },
  {
    name: 'suppressions',
    description: "Do-not-call lists: numbers never dialed, from callers' opt-outs, manual entries and CSV imports.",
  },
  { name: 'admin', description: 'Platform administration with an admin key: accounts and their API keys.' },
];

type ErrorStatus = 400 | 403 | 404 | 409 | 415 | 416 | 422 | 502 | 503;

/**
 * One API operation, written once: the router serves it, the document describes it, the contract
 * test calls it. Request schemas are the ones the route parses with; the response schema is what
 * the route's view function is typed as (z.infer), so a field added in one place without the other
 * fails the typecheck or the contract test.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path syntax: /v1/campaigns/{id} */
  path: `/v1/${string}`;
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  /** `admin`: only the platform's admin keys; `client`: a key that belongs to an account. */
  auth: 'client' | 'admin';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: {
    schema: z.ZodType;
    example: unknown;
    /** false: the body may be left out (then `{}`). */
    required?: boolean;
    /** also accepts a CSV upload (text/csv) */
    csv?: { example: string; description: string };
  };
  /** The operation creates something: honours Idempotency-Key (see IdempotencyHeaders). */
  idempotent?: boolean;
  ok: {
    /** 204: no body (then `schema` and `example` are left out). */
    status: 200 | 201 | 202 | 204;
    description: string;
    schema?: z.ZodType;
    example?: unknown;
    /** The answer's media type when it is not JSON, e.g. `audio/wav` (then `schema` is z.string() or z.any()). */
    mediaType?: string;
    /**
     * Other answers: a 2xx with the same body (e.g. 200 for a start that finds the campaign
     * started; 206 for one byte range of a binary answer, with Content-Range), or a redirect
     * (302/307, with a Location header, no body).
     */
    also?: Partial<Record<200 | 201 | 202 | 206 | 302 | 307, string>>;
  };
  /** Error answers beyond the ones every operation can give (401, 429, and 400 with a body or query). */
  errors?: Partial<Record<ErrorStatus, string>>;
}
