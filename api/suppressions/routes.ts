import express, { Router, type Request } from 'express';
import type { AppDeps } from '../app';
import { accountOf, requireAdmin } from '../auth';
import { HttpError, notFound } from '../errors';
import { rejectUnstorableText } from '../text-guard';
import { contactsFromCsv, CsvError, normalizeContacts, type ContactInput } from '../../lib/contacts/normalize';
import { addSuppressions, getSuppression, listSuppressions, removeSuppression } from '../../lib/suppression';
import type { Suppression, SuppressionPage, SuppressionReport } from '../contract/suppressions';
import {
  AddSuppressionsSchema,
  ImportSuppressionsQuerySchema,
  RemoveSuppressionQuerySchema,
  SuppressionsQuerySchema,
} from './schemas';

/**
 * Do-not-call lists: the caller's account's under /suppressions, the platform's (every account)
 * under /admin/suppressions for admin keys. JSON adds numbers with source `manual`; a text/csv body
 * imports them with source `import`. Every row is accounted for in the report, by line.
 */
export function suppressionsRouter({ sql }: AppDeps): Router {
  const r = Router();
  r.use('/admin/suppressions', requireAdmin);
  mount(r, '/suppressions', (req) => accountOf(req));
  mount(r, '/admin/suppressions', () => null);
  return r;

  function mount(router: Router, base: string, scope: (req: Request) => string | null) {
    const phoneParam = (req: Request) => {
      const raw = String(req.params.phone ?? '');
      const n = normalizeContacts([{ line: 1, phone: raw }], 'MY');
      const e164 = n.accepted[0]?.phone;
      if (!e164)
        throw new HttpError(
          400,
          'validation_failed',
          `phone: ${n.invalid[0]?.reason ?? 'not a phone number'} (write it in E.164, e.g. %2B60123456789)`,
        );
      return e164;
    };

    router.get(base, async (req, res) => {
      const accountId = scope(req);
      const q = SuppressionsQuerySchema.parse(req.query);
      let before: { at: string; id: number } | undefined;
      if (q.cursor) {
        const [at, id] = (() => {
          try {
            const v: unknown = JSON.parse(Buffer.from(q.cursor!, 'base64url').toString());
            return Array.isArray(v) ? v : [];
          } catch {
            return [];
          }
        })();
        if (typeof at !== 'string' || Number.isNaN(Date.parse(at)) || !Number.isSafeInteger(id))
          throw new HttpError(400, 'validation_failed', 'cursor: not a cursor from a previous page');
        before = { at, id: id as number };
      }
      const page = await listSuppressions(sql, accountId, { limit: q.limit, source: q.source, before });
      res.json({
        suppressions: page.entries,
        nextCursor: page.next ? Buffer.from(JSON.stringify([page.next.at, page.next.id])).toString('base64url') : null,
      } satisfies SuppressionPage);
    });

    router.post(
      base,
      express.text({ type: ['text/csv', 'text/plain'], limit: '10mb' }),
      rejectUnstorableText,
      async (req, res) => {
        const accountId = scope(req);
        let rows: (ContactInput & { reason?: string })[];
        let region: string;
        const csv = typeof req.body === 'string';
        if (csv) {
          region = ImportSuppressionsQuerySchema.parse(req.query).defaultRegion;
          try {
            rows = contactsFromCsv(req.body).map((c) => ({ ...c, reason: c.variables?.reason?.slice(0, 500) }));
          } catch (err) {
            if (err instanceof CsvError) throw new HttpError(400, 'bad_csv', err.message);
            throw err;
          }
          if (!rows.length) throw new HttpError(400, 'validation_failed', 'no numbers in the CSV');
        } else {
          const body = AddSuppressionsSchema.parse(req.body ?? {});
          region = body.defaultRegion;
          rows = body.numbers.map((n, i) => ({ line: i + 1, phone: n.phone, reason: n.reason }));
        }
        const report = normalizeContacts(rows, region);
        const reasons = new Map(rows.map((x) => [x.line, x.reason]));
        const result = await addSuppressions(
          sql,
          accountId,
          report.accepted.map((a) => ({ phone: a.phone, reason: reasons.get(a.line) ?? null })),
          csv ? 'import' : 'manual',
        );
        const existing = new Set(result.existing);
        res.status(result.added.length ? 201 : 200).json({
          added: result.added.length,
          alreadySuppressed: report.accepted.filter((a) => existing.has(a.phone)).map((a) => ({ line: a.line, phone: a.phone })),
          duplicates: report.duplicates,
          invalid: report.invalid,
        } satisfies SuppressionReport);
      },
    );

    router.get(`${base}/:phone`, async (req, res) => {
      const entry = await getSuppression(sql, scope(req), phoneParam(req));
      if (!entry) throw notFound('suppression');
      res.json(entry satisfies Suppression);
    });

    router.delete(`${base}/:phone`, async (req, res) => {
      const accountId = scope(req);
      const e164 = phoneParam(req);
      const { force } = RemoveSuppressionQuerySchema.parse(req.query);
      const entry = await getSuppression(sql, accountId, e164);
      if (!entry) throw notFound('suppression');
      if (entry.source === 'opt_out' && force !== 'true') {
        throw new HttpError(
          409,
          'opt_out',
          'this number was suppressed because the callee asked not to be called; remove it with ?force=true only if they asked to be called again',
        );
      }
      await removeSuppression(sql, accountId, e164);
      res.status(204).end();
    });
  }
}
