import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { notFound, zodIssues } from '../../errors';
import { AlertSettingsSchema, alertSettings, issueKey, listKeys, revokeKey, updateAlertSettings } from '../../../lib/accounts';
import { accountId, requireRole, sendHtml, session } from '../context';
import { Badge, Csrf, Field, Notice, NoticeWithLink, Page } from '../views/layout';
import { credits, label, utc } from '../views/format';
import { createUser, issueToken, listUsers, UserExists } from '../auth/users';
import { consoleOrigin, INVITE_TTL_SEC } from '../cli';

/** Alerts (firing and cleared; webhook URL and low-balance threshold) and the account's API keys. */
export function settingsRoutes({ sql, config }: AppDeps): Router {
  const r = Router();

  async function alertsPage(
    req: Request,
    res: Response,
    form?: { values: Record<string, string>; errors: Record<string, string> },
    saved = false,
    status = 200,
  ) {
    const s = session(req);
    const acct = accountId(req);
    const [settings, alerts] = await Promise.all([
      alertSettings(sql, acct),
      sql<
        {
          id: string;
          kind: string;
          state: string;
          payload: Record<string, unknown>;
          fired_at: Date;
          cleared_at: Date | null;
          delivery_state: string;
        }[]
      >`
        select id, kind, state, payload, fired_at, cleared_at, delivery_state from alerts where account_id = ${acct} order by fired_at desc limit 100`,
    ]);
    const owner = s.role === 'owner';
    const v = form?.values ?? {
      alertWebhookUrl: settings?.alertWebhookUrl ?? '',
      lowBalanceThreshold: ((settings?.lowBalanceThreshold ?? 0) / 1e6).toFixed(2),
    };
    sendHtml(
      res,
      <Page title="Alerts" session={s} active="/app/alerts">
        {saved && <Notice kind="ok">Alert settings saved.</Notice>}
        <div class="table-wrap">
          <table id="alerts">
            <thead>
              <tr>
                <th scope="col">Fired</th>
                <th scope="col">Alert</th>
                <th scope="col">State</th>
                <th scope="col">Cleared</th>
                <th scope="col">Delivery</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {alerts.length ? (
                alerts.map((a) => (
                  <tr>
                    <td>{utc(a.fired_at)}</td>
                    <td>{label(a.kind)}</td>
                    <td>
                      <Badge status={a.state} />
                    </td>
                    <td>{utc(a.cleared_at)}</td>
                    <td>{label(a.delivery_state)}</td>
                    <td>
                      {typeof a.payload.availableMicro === 'number'
                        ? `available ${credits(a.payload.availableMicro as number, s.currency)}`
                        : Object.entries(a.payload)
                            .slice(0, 3)
                            .map(([k, x]) => `${k}: ${String(x)}`)
                            .join('; ')}
                    </td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={6}>No alerts.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <h2>Settings</h2>
        {owner ? (
          <form method="post" action="/app/alerts/settings">
            <Csrf session={s} />
            <Field
              name="alertWebhookUrl"
              label="Alert webhook URL"
              type="url"
              value={v.alertWebhookUrl}
              error={form?.errors.alertWebhookUrl}
              hint="Alerts are POSTed here as JSON; empty uses the platform's."
            />
            <Field
              name="lowBalanceThreshold"
              label={`Low-balance threshold (${s.currency})`}
              value={v.lowBalanceThreshold}
              inputmode="decimal"
              error={form?.errors.lowBalanceThreshold}
              hint="Alert when available credit falls below this; 0 switches it off."
            />
            <button type="submit">Save</button>
          </form>
        ) : (
          <p>
            Webhook: {settings?.alertWebhookUrl ?? 'the platform default'}; low-balance threshold{' '}
            {credits(settings?.lowBalanceThreshold, s.currency)}. Only owners can change them.
          </p>
        )}
      </Page>,
      status,
    );
  }

  r.get('/app/alerts', (req, res) => alertsPage(req, res));
  r.post('/app/alerts/settings', requireRole('owner'), async (req, res) => {
    const values = {
      alertWebhookUrl: String(req.body?.alertWebhookUrl ?? '').trim(),
      lowBalanceThreshold: String(req.body?.lowBalanceThreshold ?? '').trim(),
    };
    // the threshold is typed in the credit currency; the rule (and its messages) is AlertSettingsSchema's
    const amount = /^\d+(\.\d{1,6})?$/.test(values.lowBalanceThreshold)
      ? Math.round(Number(values.lowBalanceThreshold) * 1e6)
      : NaN;
    const parsed = AlertSettingsSchema.safeParse({ alertWebhookUrl: values.alertWebhookUrl, lowBalanceThreshold: amount });
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const i of zodIssues(parsed.error))
        errors[i.field] ??=
          `${i.field}: ${Number.isNaN(amount) && i.field === 'lowBalanceThreshold' ? 'enter an amount such as 10.00' : i.message}`;
      return alertsPage(req, res, { values, errors }, false, 400);
    }
    await updateAlertSettings(sql, accountId(req), parsed.data);
    alertsPage(req, res, undefined, true);
  });

  async function keysPage(req: Request, res: Response, issued?: { key: string; label: string | null }, status = 200) {
    const s = session(req);
    const keys = await listKeys(sql, accountId(req));
    sendHtml(
      res,
      <Page title="API keys" session={s} active="/app/keys">
        {issued && (
          <Notice kind="ok">
            <p>New key{issued.label ? ` “${issued.label}”` : ''}. It is shown once and stored only as a hash: copy it now.</p>
            <code class="secret" id="new-key">
              {issued.key}
            </code>
          </Notice>
        )}
        <form method="post" action="/app/keys" class="row">
          <Csrf session={s} />
          <Field name="label" label="Label" placeholder="e.g. production" />
          <button type="submit">Issue a key</button>
        </form>
        <div class="table-wrap">
          <table id="keys">
            <thead>
              <tr>
                <th scope="col">Prefix</th>
                <th scope="col">Label</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.length ? (
                keys.map((k) => (
                  <tr>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{k.label ?? ''}</td>
                    <td>{utc(k.createdAt)}</td>
                    <td>{utc(k.lastUsedAt)}</td>
                    <td>
                      <Badge status={k.revokedAt ? 'canceled' : 'active'} />
                    </td>
                    <td>
                      {!k.revokedAt && (
                        <form method="post" action={`/app/keys/${k.id}/revoke`} class="inline">
                          <Csrf session={s} />
                          <button type="submit" class="secondary" aria-label={`Revoke key ${k.prefix}`}>
                            Revoke
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={6}>No keys.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </Page>,
      status,
    );
  }
  r.get('/app/keys', requireRole('owner'), (req, res) => keysPage(req, res));

  /** Owners invite members (or co-owners): a one-time set-password link, as the CLI prints. */
  async function teamPage(
    req: Request,
    res: Response,
    note?: { kind: 'ok' | 'error'; text: string; link?: string },
    status = 200,
  ) {
    const s = session(req);
    const users = await listUsers(sql, accountId(req));
    sendHtml(
      res,
      <Page title="Team" session={s} active="/app/team">
        <NoticeWithLink note={note} />
        <div class="table-wrap">
          <table id="team">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                <th scope="col">Password set</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>{utc(u.createdAt)}</td>
                  <td>{u.hasPassword ? 'yes' : 'not yet'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>Invite</h2>
        <form method="post" action="/app/team" class="row">
          <Csrf session={s} />
          <Field name="email" label="Email" type="email" required />
          <div class="field">
            <label for="f-role">Role</label>
            <select id="f-role" name="role">
              <option value="member">Member</option>
              <option value="owner">Owner</option>
            </select>
          </div>
          <button type="submit">Create invitation link</button>
        </form>
      </Page>,
      status,
    );
  }
  r.get('/app/team', requireRole('owner'), (req, res) => teamPage(req, res));
  r.post('/app/team', requireRole('owner'), async (req, res) => {
    const email = z.email().safeParse(String(req.body?.email ?? '').trim());
    if (!email.success) return teamPage(req, res, { kind: 'error', text: 'email: must be an email address' }, 400);
    try {
      const u = await createUser(sql, {
        email: email.data,
        role: req.body?.role === 'owner' ? 'owner' : 'member',
        accountId: accountId(req),
      });
      const token = await issueToken(sql, u.id, 'set_password', INVITE_TTL_SEC);
      teamPage(
        req,
        res,
        {
          kind: 'ok',
          text: `Invitation for ${u.email} (${u.role}). Send them this one-time link (valid 7 days): `,
          link: `${consoleOrigin(config)}/app/set-password?token=${token}`,
        },
        201,
      );
    } catch (err) {
      if (err instanceof UserExists) return teamPage(req, res, { kind: 'error', text: err.message }, 409);
      throw err;
    }
  });
  r.post('/app/keys', requireRole('owner'), async (req, res) => {
    const lbl = typeof req.body?.label === 'string' ? req.body.label.trim().slice(0, 200) : '';
    const k = await issueKey(sql, { accountId: accountId(req), role: 'client', label: lbl || undefined });
    keysPage(req, res, { key: k.key, label: k.label }, 201);
  });
  r.post('/app/keys/:id/revoke', requireRole('owner'), async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    // only a key of this account: another account's key id is 404 here
    const mine = id.success && (await listKeys(sql, accountId(req))).some((k) => k.id === id.data);
    if (!mine) throw notFound('key');
    await revokeKey(sql, id.data!);
    res.redirect(303, '/app/keys');
  });
  return r;
}
