import { z } from 'zod';
import { AccountPageSchema, NewAccountSchema, NewKeySchema } from '../routes/admin';
import { IdPath, Instant, Micro, type Operation } from './common';

/** Platform administration: what api/routes/admin.ts returns. */

export const AccountSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    currency: z.string(),
    billingEmail: z.string().nullable(),
    maxConcurrentCalls: z.number().int(),
    lowBalanceThreshold: Micro,
    status: z.string().meta({ description: '`active` or `suspended`.', example: 'active' }),
    createdAt: Instant,
  })
  .meta({ id: 'Account' });

const KeySummarySchema = z
  .object({
    id: z.uuid(),
    prefix: z
      .string()
      .meta({ description: 'The first characters of the key, to recognise it; the key itself is never shown again.' }),
    role: z.enum(['client', 'admin']),
    label: z.string().nullable(),
    createdAt: Instant,
    revokedAt: Instant.nullable(),
    lastUsedAt: Instant.nullable(),
  })
  .meta({ id: 'ApiKeySummary' });

export const AccountPageOutSchema = z
  .object({
    accounts: z.array(AccountSchema),
    next: z.uuid().nullable().meta({ description: 'Pass as `after` for the next page; null on the last page.' }),
  })
  .meta({ id: 'AccountPage' });
export const AccountDetailSchema = AccountSchema.extend({
  balance: z.object({ available: Micro, held: Micro }),
  keys: z.array(KeySummarySchema),
}).meta({ id: 'AccountDetail' });
export const IssuedKeySchema = z
  .object({
    id: z.uuid(),
    key: z.string().optional().meta({
      description:
        'The secret, in the first answer only. A replay of the same Idempotency-Key answers without it (it is stored only as a hash): revoke that key and issue another if it was lost.',
    }),
    prefix: z.string(),
    role: z.enum(['client', 'admin']),
    accountId: z.uuid().nullable(),
    label: z.string().nullable(),
    note: z.string(),
  })
  .meta({ id: 'IssuedKey' });
export const RevokedKeySchema = z
  .object({ id: z.uuid(), revoked: z.literal(true), alreadyRevoked: z.boolean() })
  .meta({ id: 'RevokedKey' });

const exampleAccount = {
  id: '3f9e8d7c-6b5a-4948-8a7b-6c5d4e3f2a1b',
  name: 'Acme Insurance',
  currency: 'USD',
  billingEmail: 'billing@acme.example',
  maxConcurrentCalls: 20,
  lowBalanceThreshold: 10000000,
  status: 'active',
  createdAt: '2026-12-05T01:23:45.678Z',
};
const forbidden = { 403: 'The key is not an admin key.' } as const;

export const adminOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/admin/accounts',
    operationId: 'createAccount',
    tag: 'admin',
    auth: 'admin',
    idempotent: true,
    summary: 'Create an account',
    body: {
      schema: NewAccountSchema,
      example: { name: 'Acme Insurance', billingEmail: 'billing@acme.example', maxConcurrentCalls: 20 },
    },
    ok: { status: 201, description: 'The account.', schema: AccountSchema, example: exampleAccount },
    errors: forbidden,
  },
  {
    method: 'get',
    path: '/v1/admin/accounts',
    operationId: 'listAccounts',
    tag: 'admin',
    auth: 'admin',
    query: AccountPageSchema,
    summary: 'List accounts, paginated by id',
    ok: {
      status: 200,
      description: 'A page of accounts.',
      schema: AccountPageOutSchema,
      example: { accounts: [exampleAccount], next: null },
    },
    errors: forbidden,
  },
  {
    method: 'get',
    path: '/v1/admin/accounts/{id}',
    operationId: 'getAccount',
    tag: 'admin',
    auth: 'admin',
    params: IdPath,
    summary: 'An account with its balance and keys (prefixes only)',
    ok: {
      status: 200,
      description: 'The account.',
      schema: AccountDetailSchema,
      example: {
        ...exampleAccount,
        balance: { available: 11250000, held: 0 },
        keys: [
          {
            id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
            prefix: 'ak_Xy12Ab',
            role: 'client',
            label: 'prod',
            createdAt: '2026-12-05T01:23:45.678Z',
            revokedAt: null,
            lastUsedAt: null,
          },
        ],
      },
    },
    errors: { ...forbidden, 404: 'No such account.' },
  },
  {
    method: 'post',
    path: '/v1/admin/accounts/{id}/keys',
    operationId: 'issueApiKey',
    tag: 'admin',
    auth: 'admin',
    params: IdPath,
    idempotent: true,
    summary: 'Issue an API key for the account; the key is in this answer only',
    body: { schema: NewKeySchema, example: { role: 'client', label: 'prod' }, required: false },
    ok: {
      status: 201,
      description: 'The key (once).',
      schema: IssuedKeySchema,
      example: {
        id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
        key: 'ak_Xy12AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abc',
        prefix: 'ak_Xy12Ab',
        role: 'client',
        accountId: exampleAccount.id,
        label: 'prod',
        note: 'the key is shown once; store it now',
      },
    },
    errors: { ...forbidden, 404: 'No such account.' },
  },
  {
    method: 'post',
    path: '/v1/admin/keys/{id}/revoke',
    operationId: 'revokeApiKey',
    tag: 'admin',
    auth: 'admin',
    params: IdPath,
    summary: 'Revoke an API key',
    ok: {
      status: 200,
      description: 'The key is revoked.',
      schema: RevokedKeySchema,
      example: { id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d', revoked: true, alreadyRevoked: false },
    },
    errors: { ...forbidden, 404: 'No such key.' },
  },
];
