import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { requireAdmin } from '../auth';
import { HttpError, notFound } from '../errors';
import { createAccount, getAccount, issueKey, listAccounts, listKeys, revokeKey } from '../../lib/accounts';
import { createLedger } from '../../lib/ledger';
import { idempotency, idempotentId } from '../idempotency';

const uuid = z.uuid();
export const NewAccountSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    billingEmail: z.email().optional(),
    maxConcurrentCalls: z.number().int().min(1).max(10_000).optional(),
    lowBalanceThreshold: z.number().int().min(0).optional(),
  })
  .strict();
export const NewKeySchema = z
  .object({ role: z.enum(['client', 'admin']).default('client'), label: z.string().max(200).optional() })
  .strict();
export const AccountPageSchema = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100), after: uuid.optional() })
  .strict();

/** Platform administration: accounts and their API keys. Admin keys only. */
export function adminRouter({ sql }: AppDeps): Router {
  const ledger = createLedger(sql);
  const r = Router();
  r.use('/admin', requireAdmin);

  r.post('/admin/accounts', idempotency(sql), async (req, res) => {
    res
      .status(201)
      .json(await createAccount(sql, { ...NewAccountSchema.parse(req.body ?? {}), id: idempotentId(req, 'account') }));
  });
  r.get('/admin/accounts', async (req, res) => {
    const q = AccountPageSchema.parse(req.query);
    const accounts = await listAccounts(sql, q);
    res.json({ accounts, next: accounts.length === q.limit ? accounts[accounts.length - 1]!.id : null });
  });
  r.get('/admin/accounts/:id', async (req, res) => {
    const id = uuid.safeParse(req.params.id);
    const account = id.success ? await getAccount(sql, id.data) : undefined;
    if (!account) throw notFound('account');
    res.json({ ...account, balance: await ledger.balance(account.id), keys: await listKeys(sql, account.id) });
  });
  // a replay answers without the secret: only its hash is kept (see IssuedKey in api/contract/admin.ts)
  const withoutSecret = (b: unknown) => ({
    ...(b as object),
    key: undefined,
    note: 'the key was shown in the first answer only; revoke it and issue another if it was lost',
  });
  r.post('/admin/accounts/:id/keys', idempotency(sql, { store: withoutSecret }), async (req, res) => {
    const id = uuid.safeParse(req.params.id);
    if (!id.success || !(await getAccount(sql, id.data))) throw notFound('account');
    const k = NewKeySchema.parse(req.body ?? {});
    const issued = await issueKey(sql, { accountId: id.data, role: k.role, label: k.label });
    res.status(201).json({ ...issued, note: 'the key is shown once; store it now' });
  });
  r.post('/admin/keys/:id/revoke', async (req, res) => {
    const id = uuid.safeParse(req.params.id);
    const was = id.success ? await revokeKey(sql, id.data) : undefined;
    if (was === undefined) throw notFound('key');
    res.json({ id: id.data, revoked: true, alreadyRevoked: !was });
  });
  r.use('/admin', (_req, _res, next) => next(new HttpError(404, 'not_found', 'no such admin route')));
  return r;
}
