import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { notFound, zodIssues } from '../../errors';
import { createAccount, getAccount, listAccounts, setAccountStatus } from '../../../lib/accounts';
import { NewAccountSchema } from '../../routes/admin';
import { createLedger } from '../../../lib/ledger';
import { adminSummary } from '../../../lib/reports/summary';
import { platformMonthly, providerErrorBursts } from '../../../lib/reports/series';
import { ALERT_DEFAULTS } from '../../../lib/alerts/rules';
import { requireRole, sendHtml, session } from '../context';
import { Badge, Csrf, Field, NoticeWithLink, Page } from '../views/layout';
import { credits, label, num, pct, utc } from '../views/format';
import { createUser, issueToken, UserExists } from '../auth/users';

import { consoleOrigin, INVITE_TTL_SEC } from '../cli';
const DAY = 86_400_000;

/** Platform admin: accounts (create, suspend, manual top-up with a reason, invite an owner), revenue per month, top-up conversion, provider error bursts. */
export function adminRoutes({ sql, config }: AppDeps): Router {
  const ledger = createLedger(sql);
  const r = Router();
  r.use('/app/admin', requireRole('admin'));
  const origin = () => consoleOrigin(config);

  async function page(
    req: Request,
    res: Response,
    note?: { kind: 'ok' | 'error'; text: string; link?: string },
    form?: { values: Record<string, string>; errors: Record<string, string> },
    status = 200,
  ) {
    const s = session(req);
    const now = new Date();
    const year = { from: new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), 1)), to: now };
    const [accounts, monthly, summary, bursts] = await Promise.all([
      listAccounts(sql, { limit: 500 }),
      platformMonthly(sql, year),
      adminSummary(sql, { from: new Date(now.getTime() - 30 * DAY), to: now }),
      providerErrorBursts(
        sql,
        new Date(now.getTime() - DAY),
        ALERT_DEFAULTS.providerBurstWindowMinutes,
        ALERT_DEFAULTS.providerBurstCount,
      ),
    ]);
    const balances = new Map(await Promise.all(accounts.map(async (a) => [a.id, await ledger.balance(a.id)] as const)));
    const t = summary.totals;
    sendHtml(
      res,
      <Page title="Platform" session={s} active="/app/admin">
        <NoticeWithLink note={note} />
        <div class="cards">
          <div class="card">
            <div class="k">Revenue, 30 days</div>
            <div class="v">{credits(t.revenueMicro)}</div>
          </div>
          <div class="card">
            <div class="k">Provider cost, 30 days</div>
            <div class="v">{credits(t.costMicro)}</div>
          </div>
          <div class="card">
            <div class="k">Margin, 30 days</div>
            <div class="v">{credits(t.profitMicro)}</div>
          </div>
          <div class="card">
            <div class="k">Top-up conversion, 30 days</div>
            <div class="v">{pct(t.topUps.conversion)}</div>
            <div class="k">
              {t.topUps.billsPaid} of {t.topUps.billsCreated} bills paid
            </div>
          </div>
        </div>
        <h2>Per month (UTC)</h2>
        <div class="table-wrap">
          <table id="monthly">
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col" class="num">
                  Charged calls
                </th>
                <th scope="col" class="num">
                  Revenue
                </th>
                <th scope="col" class="num">
                  Provider cost
                </th>
                <th scope="col" class="num">
                  Margin
                </th>
              </tr>
            </thead>
            <tbody>
              {monthly.length ? (
                monthly.map((m) => (
                  <tr>
                    <td>{m.month}</td>
                    <td class="num">{num(m.calls)}</td>
                    <td class="num">{credits(m.revenueMicro)}</td>
                    <td class="num">{credits(m.costMicro)}</td>
                    <td class="num">{credits(m.marginMicro)}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={5}>No charged calls yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <h2>Provider error bursts, last 24 hours</h2>
        <p class="muted">
          {ALERT_DEFAULTS.providerBurstCount} or more errors of one vendor within {ALERT_DEFAULTS.providerBurstWindowMinutes}{' '}
          minutes (the burst alert's rule).
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">Vendor</th>
                <th scope="col" class="num">
                  Errors
                </th>
                <th scope="col">Statuses</th>
              </tr>
            </thead>
            <tbody>
              {bursts.length ? (
                bursts.map((b) => (
                  <tr>
                    <td>{utc(b.at)}</td>
                    <td>{b.vendor}</td>
                    <td class="num">{b.errors}</td>
                    <td>{b.statuses}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={4}>None.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <h2>Accounts</h2>
        <div class="table-wrap">
          <table id="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col" class="num">
                  Held
                </th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => {
                const b = balances.get(a.id)!;
                return (
                  <tr>
                    <td>
                      {a.name}
                      <br />
                      <small class="muted">{a.id}</small>
                    </td>
                    <td>
                      <Badge status={a.status} />
                    </td>
                    <td class="num">{credits(b.available, a.currency)}</td>
                    <td class="num">{credits(b.held, a.currency)}</td>
                    <td>{utc(a.createdAt)}</td>
                    <td>
                      <form
                        method="post"
                        action={`/app/admin/accounts/${a.id}/${a.status === 'active' ? 'suspend' : 'activate'}`}
                        class="inline"
                      >
                        <Csrf session={s} />
                        <button type="submit" class="secondary">
                          {a.status === 'active' ? 'Suspend' : 'Reactivate'}
                        </button>
                      </form>
                      <details>
                        <summary>Top up manually</summary>
                        <form method="post" action={`/app/admin/accounts/${a.id}/credit`}>
                          <Csrf session={s} />
                          <input type="hidden" name="request" value={randomUUID()} />
                          <Field
                            id={`amount-${a.id}`}
                            name="amount"
                            label={`Amount (${a.currency})`}
                            inputmode="decimal"
                            required
                          />
                          <Field id={`reason-${a.id}`} name="reason" label="Reason (recorded in the ledger)" required />
                          <button type="submit">Credit</button>
                        </form>
                      </details>
                      <details>
                        <summary>Invite a user</summary>
                        <form method="post" action={`/app/admin/accounts/${a.id}/invite`}>
                          <Csrf session={s} />
                          <Field id={`email-${a.id}`} name="email" label="Email" type="email" required />
                          <div class="field">
                            <label for={`role-${a.id}`}>Role</label>
                            <select id={`role-${a.id}`} name="role">
                              <option value="owner">Owner</option>
                              <option value="member">Member</option>
                            </select>
                          </div>
                          <button type="submit">Create invitation link</button>
                        </form>
                      </details>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <h2>New account</h2>
        <form method="post" action="/app/admin/accounts">
          <Csrf session={s} />
          <Field name="name" label="Name" required value={form?.values.name} error={form?.errors.name} />
          <Field
            name="billingEmail"
            label="Billing email"
            type="email"
            value={form?.values.billingEmail}
            error={form?.errors.billingEmail}
          />
          <button type="submit">Create account</button>
        </form>
      </Page>,
      status,
    );
  }

  r.get('/app/admin', (req, res) => page(req, res));

  r.post('/app/admin/accounts', async (req, res) => {
    const values = { name: String(req.body?.name ?? ''), billingEmail: String(req.body?.billingEmail ?? '').trim() };
    const parsed = NewAccountSchema.safeParse({
      name: values.name,
      ...(values.billingEmail ? { billingEmail: values.billingEmail } : {}),
    });
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const i of zodIssues(parsed.error)) errors[i.field] ??= `${i.field}: ${i.message}`;
      return page(req, res, undefined, { values, errors }, 400);
    }
    const a = await createAccount(sql, parsed.data);
    page(req, res, { kind: 'ok', text: `Account ${a.name} created (${a.id}).` }, undefined, 201);
  });

  const account = async (req: Request) => {
    const id = z.uuid().safeParse(req.params.id);
    const a = id.success ? await getAccount(sql, id.data) : undefined;
    if (!a) throw notFound('account');
    return a;
  };

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['activate', 'active'],
  ] as const) {
    r.post(`/app/admin/accounts/:id/${action}`, async (req, res) => {
      const a = await account(req);
      await setAccountStatus(sql, a.id, status);
      page(req, res, { kind: 'ok', text: `${a.name} is ${status}.` });
    });
  }

  r.post('/app/admin/accounts/:id/credit', async (req, res) => {
    const a = await account(req);
    const raw = String(req.body?.amount ?? '').trim();
    const reason = String(req.body?.reason ?? '')
      .trim()
      .slice(0, 500);
    const micro = /^\d+(\.\d{1,6})?$/.test(raw) ? Math.round(Number(raw) * 1e6) : NaN;
    if (!Number.isSafeInteger(micro) || micro <= 0)
      return page(req, res, { kind: 'error', text: 'amount: enter a positive amount such as 25.00' }, undefined, 400);
    if (!reason) return page(req, res, { kind: 'error', text: 'reason: required; it is recorded in the ledger' }, undefined, 400);
    const request = z.uuid().safeParse(req.body?.request);
    // the form's nonce is the idempotency key: a resubmitted form credits once
    const key = `manual/${request.success ? request.data : randomUUID()}`;
    await ledger.credit({
      accountId: a.id,
      amount: micro,
      key,
      reason: `manual top-up: ${reason}`,
      metadata: { by: session(req).email, via: 'console' },
    });
    page(req, res, { kind: 'ok', text: `${credits(micro, a.currency)} credited to ${a.name}.` });
  });

  r.post('/app/admin/accounts/:id/invite', async (req, res) => {
    const a = await account(req);
    const email = z.email().safeParse(String(req.body?.email ?? '').trim());
    const role = req.body?.role === 'member' ? 'member' : 'owner';
    if (!email.success) return page(req, res, { kind: 'error', text: 'email: must be an email address' }, undefined, 400);
    try {
      const u = await createUser(sql, { email: email.data, role, accountId: a.id });
      const token = await issueToken(sql, u.id, 'set_password', INVITE_TTL_SEC);
      page(
        req,
        res,
        {
          kind: 'ok',
          text: `Invitation for ${u.email} (${role} of ${a.name}). Send them this one-time link (valid 7 days): `,
          link: `${origin()}/app/set-password?token=${token}`,
        },
        undefined,
        201,
      );
    } catch (err) {
      if (err instanceof UserExists) return page(req, res, { kind: 'error', text: err.message }, undefined, 409);
      throw err;
    }
  });
  void label;
  return r;
}
