import { z } from 'zod';
import { StatementQuery } from '../routes/credits';
import { TopUpBody } from '../routes/topups';
import { IdPath, Instant, Micro, type Operation } from './common';

/** Credit balance, statement and top-ups: what api/routes/credits.ts and topups.ts return. */

export const BalanceSchema = z
  .object({
    available: Micro,
    held: Micro.meta({ description: "Held for calls in flight (each holds its maximum duration's price until it settles)." }),
    currency: z.string().meta({ example: 'USD' }),
    unit: z.literal('micro'),
  })
  .meta({ id: 'Balance' });
export type Balance = z.infer<typeof BalanceSchema>;

export const StatementEntrySchema = z
  .object({
    seq: z.number().int(),
    key: z.string().meta({ description: "The operation's idempotency key." }),
    op: z.enum(['credit', 'hold', 'post', 'void']),
    holdKey: z.string().nullable(),
    amount: Micro,
    availableDelta: Micro,
    heldDelta: Micro,
    availableAfter: Micro,
    heldAfter: Micro,
    reason: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: Instant,
  })
  .meta({ id: 'StatementEntry' });
export const StatementSchema = z
  .object({
    entries: z.array(StatementEntrySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'Statement' });
export type Statement = z.infer<typeof StatementSchema>;

export const TopUpSchema = z
  .object({
    id: z.uuid(),
    amount: z.number().int().meta({ description: 'Paid amount in MYR sen (RM 1.00 = 100).', example: 5000 }),
    amountCurrency: z.literal('MYR'),
    credit: Micro.meta({ description: 'Credit granted when paid, micro-units.' }),
    creditPerSen: z.number().int(),
    status: z.enum(['creating', 'pending', 'paid', 'expired', 'failed']),
    paymentUrl: z.url().nullable().meta({ description: 'The Billplz payment page, while the top-up can be paid.' }),
    createdAt: Instant,
    paidAt: Instant.nullable(),
  })
  .meta({ id: 'TopUp' });
export type TopUp = z.infer<typeof TopUpSchema>;
export const TopUpListSchema = z.object({ topups: z.array(TopUpSchema) }).meta({ id: 'TopUpList' });

const exampleEntry = {
  seq: 41,
  key: 'topup/5b0c6f7e-2d1a-4c1e-9a77-0f3f2b4d8e61',
  op: 'credit',
  holdKey: null,
  amount: 11250000,
  availableDelta: 11250000,
  heldDelta: 0,
  availableAfter: 11250000,
  heldAfter: 0,
  reason: 'top-up',
  metadata: { topUpId: '5b0c6f7e-2d1a-4c1e-9a77-0f3f2b4d8e61' },
  createdAt: '2026-12-05T01:23:45.678Z',
};
const exampleTopUp = {
  id: '7a1e2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b',
  amount: 5000,
  amountCurrency: 'MYR',
  credit: 11250000,
  creditPerSen: 2250,
  status: 'pending',
  paymentUrl: 'https://www.billplz.com/bills/8x9y0z1a',
  createdAt: '2026-12-05T01:23:45.678Z',
  paidAt: null,
};

export const creditOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/credits',
    operationId: 'getBalance',
    tag: 'credits',
    auth: 'client',
    summary: 'Available and held credit',
    ok: {
      status: 200,
      description: 'The balance.',
      schema: BalanceSchema,
      example: { available: 11250000, held: 450000, currency: 'USD', unit: 'micro' },
    },
  },
  {
    method: 'get',
    path: '/v1/credits/statement',
    operationId: 'getStatement',
    tag: 'credits',
    auth: 'client',
    query: StatementQuery,
    summary: 'The ledger statement, oldest first, paginated',
    ok: {
      status: 200,
      description: 'A page of ledger entries.',
      schema: StatementSchema,
      example: { entries: [exampleEntry], nextCursor: null },
    },
  },
  {
    method: 'post',
    path: '/v1/credits/topups',
    operationId: 'createTopUp',
    tag: 'top-ups',
    auth: 'client',
    idempotent: true,
    summary: 'Top up credit through Billplz; the payment URL is in the answer',
    description: 'Creates the Billplz bill before answering. With an Idempotency-Key, a retry joins the same top-up and bill.',
    body: { schema: TopUpBody, example: { amount: 5000, email: 'billing@acme.example' } },
    ok: { status: 201, description: 'The top-up with its payment URL.', schema: TopUpSchema, example: exampleTopUp },
    errors: { 502: 'Billplz could not create the bill; nothing was charged.' },
  },
  {
    method: 'get',
    path: '/v1/credits/topups',
    operationId: 'listTopUps',
    tag: 'top-ups',
    auth: 'client',
    summary: "The account's top-ups (newest first, at most 100)",
    ok: { status: 200, description: 'Top-ups.', schema: TopUpListSchema, example: { topups: [exampleTopUp] } },
  },
  {
    method: 'get',
    path: '/v1/credits/topups/{id}',
    operationId: 'getTopUp',
    tag: 'top-ups',
    auth: 'client',
    params: IdPath,
    summary: 'One top-up and its status',
    ok: {
      status: 200,
      description: 'The top-up.',
      schema: TopUpSchema,
      example: { ...exampleTopUp, status: 'paid', paymentUrl: null, paidAt: '2026-12-05T01:25:00.000Z' },
    },
    errors: { 404: 'No such top-up in this account.' },
  },
];
