import { z } from 'zod';
import { ReportWindowQuery } from '../routes/reports';
import { Instant, Micro, type Operation } from './common';

/** Reports: what api/routes/reports.ts returns. Definitions of each figure: lib/reports/summary.ts. */

const rate = z.number().nullable().meta({ description: 'A ratio rounded to 4 decimals; null when there are no calls.' });
const CallSummaryShape = {
  calls: z.number().int(),
  answered: z.number().int(),
  completed: z.number().int(),
  answerRate: rate,
  successRate: rate,
  averageDurationSec: z.number().nullable(),
  billedSeconds: z.number().int(),
  minutes: z.number(),
  costMicro: Micro,
  revenueMicro: Micro,
  profitMicro: Micro,
  costPerCallMicro: Micro.nullable(),
  revenuePerCallMicro: Micro.nullable(),
  profitPerCallMicro: Micro.nullable(),
};
const TopUpConversionSchema = z
  .object({
    billsCreated: z.number().int(),
    billsPaid: z.number().int(),
    conversion: rate,
    paidCreditMicro: Micro,
  })
  .meta({ id: 'TopUpConversion' });

export const AccountReportSchema = z
  .object({ accountId: z.uuid(), from: Instant, to: Instant, ...CallSummaryShape })
  .meta({ id: 'AccountReport' });
export const AdminReportSchema = z
  .object({
    from: Instant,
    to: Instant,
    accounts: z.array(
      z.object({
        accountId: z.uuid(),
        name: z.string(),
        ...CallSummaryShape,
        topUps: TopUpConversionSchema,
        monthlyRevenue: z.array(z.object({ month: z.string().meta({ example: '2026-12' }), revenueMicro: Micro })),
      }),
    ),
    totals: z.object({ ...CallSummaryShape, topUps: TopUpConversionSchema }),
  })
  .meta({ id: 'AdminReport' });

const exampleSummary = {
  calls: 120,
  answered: 84,
  completed: 70,
  answerRate: 0.7,
  successRate: 0.5833,
  averageDurationSec: 61.25,
  billedSeconds: 5145,
  minutes: 85.75,
  costMicro: 3900000,
  revenueMicro: 21437500,
  profitMicro: 17537500,
  costPerCallMicro: 32500,
  revenuePerCallMicro: 178646,
  profitPerCallMicro: 146146,
};
const window = { from: '2026-11-05T00:00:00.000Z', to: '2026-12-05T00:00:00.000Z' };
const exampleConversion = { billsCreated: 4, billsPaid: 3, conversion: 0.75, paidCreditMicro: 33750000 };

export const reportOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/reports/summary',
    operationId: 'getReportSummary',
    tag: 'reports',
    auth: 'client',
    query: ReportWindowQuery,
    summary: 'Calls, answer and success rates, minutes, cost, revenue and profit over [from, to)',
    description:
      '`from` and `to` are ISO dates (midnight UTC) or date-times with an offset; defaults: to = now, from = to - 30 days; at most 400 days.',
    ok: {
      status: 200,
      description: "The account's figures.",
      schema: AccountReportSchema,
      example: { accountId: '3f9e8d7c-6b5a-4948-8a7b-6c5d4e3f2a1b', ...window, ...exampleSummary },
    },
  },
  {
    method: 'get',
    path: '/v1/admin/reports/summary',
    operationId: 'getAdminReportSummary',
    tag: 'admin',
    auth: 'admin',
    query: ReportWindowQuery,
    summary: 'The same per account, with top-up conversion and monthly revenue, and platform totals',
    ok: {
      status: 200,
      description: 'Per-account figures and totals.',
      schema: AdminReportSchema,
      example: {
        ...window,
        accounts: [
          {
            accountId: '3f9e8d7c-6b5a-4948-8a7b-6c5d4e3f2a1b',
            name: 'Acme Insurance',
            ...exampleSummary,
            topUps: exampleConversion,
            monthlyRevenue: [{ month: '2026-11', revenueMicro: 21437500 }],
          },
        ],
        totals: { ...exampleSummary, topUps: exampleConversion },
      },
    },
    errors: { 403: 'The key is not an admin key.' },
  },
];
