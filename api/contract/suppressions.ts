import { z } from 'zod';
import {
  AddSuppressionsSchema,
  ImportSuppressionsQuerySchema,
  RemoveSuppressionQuerySchema,
  SuppressionsQuerySchema,
} from '../suppressions/schemas';
import { Instant, PhonePath, type Operation } from './common';

/**
 * The do-not-call lists (api/suppressions/routes.ts): the account's under /v1/suppressions, and the
 * platform's, which applies to every account, under /v1/admin/suppressions for admin keys. The two
 * answer alike, so their operations are written once and mounted twice.
 */

export const SuppressionSchema = z
  .object({
    phone: z.string().meta({ description: 'E.164', example: '+60123456789' }),
    accountId: z.uuid().nullable().meta({ description: 'null: the platform-wide list.' }),
    reason: z.string().nullable(),
    source: z.enum(['opt_out', 'manual', 'import']).meta({
      description: '`opt_out`: the callee asked during a call (see `callId`); `manual`: added as JSON; `import`: from a CSV.',
    }),
    callId: z.uuid().nullable().meta({ description: 'On an opt_out: the call in which the callee asked.' }),
    createdAt: Instant,
  })
  .meta({ id: 'Suppression' });
export type Suppression = z.infer<typeof SuppressionSchema>;

export const SuppressionPageSchema = z
  .object({
    suppressions: z.array(SuppressionSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'SuppressionPage' });
export type SuppressionPage = z.infer<typeof SuppressionPageSchema>;

export const SuppressionReportSchema = z
  .object({
    added: z.number().int().meta({ description: 'Numbers newly on the list.' }),
    alreadySuppressed: z
      .array(z.object({ line: z.number().int(), phone: z.string() }))
      .meta({ description: 'Valid numbers the list already had (left as they were).' }),
    duplicates: z.array(z.object({ line: z.number().int(), phone: z.string(), duplicateOfLine: z.number().int().nullable() })),
    invalid: z.array(z.object({ line: z.number().int(), phone: z.string(), reason: z.string() })),
  })
  .meta({ id: 'SuppressionReport', description: 'What happened to each row, by line (1-based; CSV lines after the header).' });
export type SuppressionReport = z.infer<typeof SuppressionReportSchema>;

const exampleEntry: Suppression = {
  phone: '+60123456789',
  accountId: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f',
  reason: 'asked not to be called',
  source: 'opt_out',
  callId: '9d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
  createdAt: '2026-12-05T01:25:02.000Z',
};
const exampleReport: SuppressionReport = {
  added: 1,
  alreadySuppressed: [{ line: 2, phone: '+60123456789' }],
  duplicates: [],
  invalid: [{ line: 3, phone: '123', reason: 'too short' }],
};

function listOperations(base: '/v1/suppressions' | '/v1/admin/suppressions'): Operation[] {
  const admin = base === '/v1/admin/suppressions';
  const scope = admin
    ? { auth: 'admin' as const, tag: 'admin' as const, who: "the platform's do-not-call list (every account)", id: 'Platform' }
    : { auth: 'client' as const, tag: 'suppressions' as const, who: "the account's do-not-call list", id: '' };
  const forbidden = admin ? ({ 403: 'The key is not an admin key.' } as const) : {};
  const entry = admin
    ? { ...exampleEntry, accountId: null, source: 'manual' as const, callId: null, reason: 'regulator list' }
    : exampleEntry;
  return [
    {
      method: 'get',
      path: base,
      operationId: `list${scope.id}Suppressions`,
      tag: scope.tag,
      auth: scope.auth,
      query: SuppressionsQuerySchema,
      summary: `List ${scope.who}, newest first, paginated`,
      ok: {
        status: 200,
        description: 'A page of entries.',
        schema: SuppressionPageSchema,
        example: { suppressions: [entry], nextCursor: null } satisfies SuppressionPage,
      },
      errors: forbidden,
    },
    {
      method: 'post',
      path: base,
      operationId: `add${scope.id}Suppressions`,
      tag: scope.tag,
      auth: scope.auth,
      query: ImportSuppressionsQuerySchema,
      summary: `Add numbers to ${scope.who} (JSON) or import a CSV`,
      description: `JSON \`{ numbers: [{ phone, reason? }], defaultRegion? }\` adds them with source \`manual\`; a \`text/csv\` body (a phone column, optionally \`reason\`; \`defaultRegion\` in the query) imports them with source \`import\`. A number already on the list is left as it was.${admin ? " The platform list stops every account's calls to its numbers." : ' Numbers on the list are never dialed: a contact with one ends `suppressed`.'}`,
      body: {
        schema: AddSuppressionsSchema,
        example: {
          numbers: [{ phone: '+60123456789', reason: 'asked by email' }, { phone: '012-345 6780' }],
          defaultRegion: 'MY',
        },
        csv: {
          example: 'phone,reason\n+60123456789,asked by email\n0123456780,\n',
          description:
            'A header row with a phone column (phone, phone_number, number, mobile or msisdn) and optionally reason, then one number per line.',
        },
      },
      ok: {
        status: 201,
        description: 'Some numbers were added; what happened to each row.',
        schema: SuppressionReportSchema,
        example: exampleReport,
        also: { 200: 'No number was new; what happened to each row.' },
      },
      errors: forbidden,
    },
    {
      method: 'get',
      path: `${base}/{phone}`,
      operationId: `get${scope.id}Suppression`,
      tag: scope.tag,
      auth: scope.auth,
      params: PhonePath,
      summary: `One number's entry in ${scope.who}`,
      ok: { status: 200, description: 'The entry.', schema: SuppressionSchema, example: entry },
      errors: { ...forbidden, 404: 'The number is not on this list.' },
    },
    {
      method: 'delete',
      path: `${base}/{phone}`,
      operationId: `remove${scope.id}Suppression`,
      tag: scope.tag,
      auth: scope.auth,
      params: PhonePath,
      query: RemoveSuppressionQuerySchema,
      summary: `Take a number off ${scope.who}`,
      description:
        "An `opt_out` entry was the callee's own request: removing it needs `force=true`, to be sent only when they asked to be called again.",
      ok: { status: 204, description: 'Removed.' },
      errors: {
        ...forbidden,
        404: 'The number is not on this list.',
        409: "The entry is the callee's opt-out; send `force=true` to remove it.",
      },
    },
  ];
}

export const suppressionOperations: Operation[] = [
  ...listOperations('/v1/suppressions'),
  ...listOperations('/v1/admin/suppressions'),
];
