import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { ErrorSchema, IdempotencyHeaders, TAGS, type ErrorBody, type Operation } from './common';
import { campaignOperations } from './campaigns';
import { creditOperations } from './credits';
import { adminOperations } from './admin';
import { reportOperations } from './reports';
import { analysisOperations } from './analysis';
import { templateOperations } from './templates';
import { recordingOperations } from './recordings';
import { webhookOperations } from './webhooks';
import { suppressionOperations } from './suppressions';

/**
 * Every /v1 operation. To add a route to the contract: write its Operation next to its resource's
 * others (api/contract/<resource>.ts) — or in a new module whose list joins this one. The contract
 * test (test/contract) fails for a /v1 route the app serves that is missing here, and for an
 * operation here without a live check.
 */
export const OPERATIONS: Operation[] = [
  ...campaignOperations,
  ...templateOperations,
  ...analysisOperations,
  ...recordingOperations,
  ...creditOperations,
  ...reportOperations,
  ...webhookOperations,
  ...suppressionOperations,
  ...adminOperations,
];

/** The examples the document gives for each error status (validated against ErrorSchema by the linter). */
const ERROR_EXAMPLES: Record<string, ErrorBody> = {
  400: {
    error: 'validation_failed',
    message: 'name: Too small: expected string to have >=1 characters',
    details: [{ field: 'name', message: 'Too small: expected string to have >=1 characters' }],
  },
  401: { error: 'unauthenticated', message: 'missing API key (Authorization: Bearer <key>)' },
  403: { error: 'forbidden', message: 'admin key required' },
  404: { error: 'not_found', message: 'campaign not found' },
  409: { error: 'campaign_finished', message: 'the campaign is completed; it can no longer be paused', status: 'completed' },
  415: { error: 'unsupported_media_type', message: 'send the contacts as text/csv or application/json' },
  416: { error: 'range_not_satisfiable', message: 'range bytes=900000- is outside the recording (412844 bytes)' },
  422: { error: 'idempotency_key_reused', message: 'this Idempotency-Key was used with a different request body' },
  429: { error: 'rate_limited', message: 'too many requests for this API key; retry in 1s' },
  502: { error: 'payment_gateway_error', message: 'could not create the bill: timeout' },
  503: { error: 'temporarily_unavailable', message: 'the redelivery could not be started; try again' },
};

const IN_PROGRESS: ErrorBody = {
  error: 'idempotency_in_progress',
  message: 'a request with this Idempotency-Key is still being processed; retry shortly',
};

const errorResponse = (status: number, description: string, example = ERROR_EXAMPLES[status]) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema, example } },
  ...(status === 429
    ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' as const } } } }
    : {}),
});

function toOperation(op: Operation): ZodOpenApiOperationObject {
  const errors: Record<number, string> = {};
  if (op.body || op.query || op.params) errors[400] = 'The request is invalid: `message` and `details` name each field at fault.';
  errors[401] = 'The API key is missing, invalid or revoked.';
  if (op.auth === 'client') errors[403] = 'The key is a platform admin key; this route needs a key that belongs to an account.';
  Object.assign(errors, op.errors);
  if (op.idempotent) {
    errors[409] = [op.errors?.[409], 'A request with the same Idempotency-Key is still being processed.']
      .filter(Boolean)
      .join(' Or: ');
    errors[422] = 'The Idempotency-Key was used with a different request.';
  }
  errors[429] = 'Too many requests for this key; retry after `Retry-After` seconds.';

  // a 204 (and any answer without a schema) has no body
  const content = op.ok.schema
    ? {
        content: {
          [op.ok.mediaType ?? 'application/json']: {
            schema: op.ok.schema,
            ...(op.ok.example === undefined ? {} : { example: op.ok.example }),
          },
        },
      }
    : {};
  const responses: Record<string, ZodOpenApiResponseObject> = {
    [String(op.ok.status)]: {
      description: op.ok.description,
      ...content,
      ...(op.idempotent
        ? {
            headers: {
              'Idempotent-Replayed': {
                description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
                schema: { type: 'string' as const, enum: ['true'] },
              },
            },
          }
        : {}),
    },
  };
  for (const [status, description] of Object.entries(op.ok.also ?? {})) {
    responses[status] = status.startsWith('3')
      ? {
          description,
          headers: { Location: { description: 'Where the resource is.', schema: { type: 'string' as const, format: 'uri' } } },
        }
      : status === '206'
        ? {
            description,
            ...content,
            headers: {
              'Content-Range': {
                description: 'The range sent and the whole size: `bytes <first>-<last>/<size>`.',
                schema: { type: 'string' as const, example: 'bytes 0-1023/412844' },
              },
            },
          }
        : { description, ...content };
  }
  for (const [status, description] of Object.entries(errors)) {
    // an idempotent operation whose only 409 is the key's: show that one
    responses[status] = errorResponse(
      Number(status),
      description,
      status === '409' && op.idempotent && !op.errors?.[409] ? IN_PROGRESS : undefined,
    );
  }

  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    requestParams: {
      ...(op.params ? { path: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.idempotent ? { header: IdempotencyHeaders } : {}),
    },
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            content: {
              'application/json': { schema: op.body.schema, example: op.body.example },
              ...(op.body.csv
                ? {
                    'text/csv': {
                      schema: z.string().meta({ description: op.body.csv.description }),
                      example: op.body.csv.example,
                    },
                  }
                : {}),
            },
          },
        }
      : {}),
    responses: responses as ZodOpenApiResponsesObject,
    ...(op.auth === 'admin' ? { 'x-admin-only': true } : {}),
  };
}

export interface DocumentOptions {
  /** The deployment's public origin (APP_ORIGIN), listed first among the servers. */
  origin?: string;
}

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes parse with and the response
 * schemas their views are typed as, so the two cannot drift.
 */
export function openApiDocument(opts: DocumentOptions = {}) {
  return buildDocument(OPERATIONS, opts);
}

/** The document for any list of operations (openApiDocument: all of OPERATIONS). */
export function buildDocument(operations: Operation[], opts: DocumentOptions = {}) {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) (paths[op.path] ??= {})[op.method] = toOperation(op);
  const doc = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'aicall API',
        version: '1',
        description:
          'Outbound AI phone-call campaigns. Money is in integer micro-units (1 USD = 1,000,000). Authenticate with `Authorization: Bearer <API key>` (or `X-API-Key`). Every error is JSON `{ error, message }`. POSTs that create something take an `Idempotency-Key` header.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-aicall-proprietary' },
        contact: { name: 'aicall operations' },
      },
      servers: [
        {
          url: '{origin}',
          description: 'An aicall deployment: its APP_ORIGIN, or the development stack (`npm run dev`) on port 3000.',
          variables: {
            origin: {
              default: opts.origin?.replace(/\/+$/, '') ?? 'http://127.0.0.1:3000',
              description: 'scheme, host and port of the API',
            },
          },
        },
      ],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key (`ak_…`), issued by an admin (`npm run cli -- keys issue`).',
          },
          apiKeyHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'The same API key in a header of its own.',
          },
        },
      },
      security: [{ bearer: [] }, { apiKeyHeader: [] }],
      paths,
    },
    {
      // transforms in request schemas (dates, coercion) are described by their input side
      allowEmptySchema: { custom: true },
    },
  );
  return { ...doc, paths: doc.paths ?? {} };
}
