import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { HttpError, notFound } from '../../errors';
import { createLedger, type StatementEntry } from '../../../lib/ledger';
import { checkTopUpAmount, createTopUp, creditBalance, getTopUp, listTopUps, type TopUpView } from '../../credits/topups';
import { accountId, isHtmx, sendFragment, sendHtml, session } from '../context';
import { Badge, Csrf, Field, Notice, Page } from '../views/layout';
import { credits, myr, utc } from '../views/format';
import { csvLine } from '../csv';

export const TOPUP_PRESETS_SEN = [5_000, 10_000, 20_000, 50_000];
const OP_LABEL: Record<StatementEntry['op'], string> = { credit: 'Credit', hold: 'Hold', post: 'Charge', void: 'Release' };

/** "50", "50.5", "RM 1,000.00" -> sen; undefined when it is not an amount. */
export function parseRinggit(s: string): number | undefined {
  const m = /^\s*(?:RM\s*)?(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{1,2}))?\s*$/i.exec(s);
  if (!m) return undefined;
  return Number(m[1]!.replace(/,/g, '')) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function TopUpStatus({ t, currency }: { t: TopUpView; currency: string }) {
  const live = t.status === 'pending' || t.status === 'creating';
  return (
    <div
      id="topup-status"
      aria-live="polite"
      {...(live ? { 'hx-get': `/app/credits/topups/${t.id}/status`, 'hx-trigger': 'every 1s', 'hx-swap': 'outerHTML' } : {})}
    >
      {t.status === 'paid' && (
        <Notice kind="ok">
          <strong>Paid, credited.</strong> {myr(t.amount)} paid; {credits(t.credit, currency)} added to your credits on{' '}
          {utc(t.paidAt)}.
        </Notice>
      )}
      {live && (
        <Notice kind="info">
          <strong>Pending.</strong> Waiting for Billplz to confirm the payment of {myr(t.amount)}. This updates by itself{' '}
          <noscript>
            (without JavaScript, <a href={`/app/credits/topups/${t.id}`}>reload</a>)
          </noscript>
          .
          {t.paymentUrl && (
            <>
              {' '}
              <a href={t.paymentUrl}>Open the payment page</a>.
            </>
          )}
        </Notice>
      )}
      {(t.status === 'expired' || t.status === 'failed') && (
        <Notice kind="error">
          <strong>{t.status === 'expired' ? 'Expired' : 'Failed'}.</strong> Nothing was credited.
        </Notice>
      )}
    </div>
  );
}

/** Credits: the top-up form (presets and a custom amount in MYR), a top-up's live status, history, statement and its CSV. */
export function creditsRoutes(deps: AppDeps): Router {
  const { sql, config } = deps;
  const ledger = createLedger(sql);
  const r = Router();

  async function creditsPage(
    req: Parameters<Parameters<typeof r.get>[1]>[0],
    res: Parameters<Parameters<typeof r.get>[1]>[1],
    form: { error?: string; preset?: string; custom?: string } = {},
    status = 200,
  ) {
    const s = session(req);
    const acct = accountId(req);
    const [bal, topups, stmt] = await Promise.all([
      creditBalance(sql, ledger, acct),
      listTopUps(sql, acct, 20),
      ledger.statement(acct, {
        limit: 50,
        cursor: typeof req.query.after === 'string' && /^\d{1,15}$/.test(req.query.after) ? req.query.after : undefined,
      }),
    ]);
    const cur = bal.currency;
    const preset = form.preset ?? String(TOPUP_PRESETS_SEN[0]);
    sendHtml(
      res,
      <Page title="Credits" session={s} active="/app/credits">
        <div class="cards">
          <div class="card">
            <div class="k">Available</div>
            <div class="v" id="available">
              {credits(bal.available, cur)}
            </div>
          </div>
          <div class="card">
            <div class="k">Held for calls in flight</div>
            <div class="v">{credits(bal.held, cur)}</div>
          </div>
        </div>
        <h2 id="topup-h">Top up</h2>
        <form method="post" action="/app/credits/topups" aria-labelledby="topup-h">
          <Csrf session={s} />
          <input type="hidden" name="request" value={randomUUID()} />
          <fieldset>
            <legend>
              Amount (MYR, paid by FPX through Billplz; RM 1 = {credits(config.TOPUP_MICRO_PER_SEN * 100, cur, 4)} of credit)
            </legend>
            <div class="row">
              {TOPUP_PRESETS_SEN.map((sen) => (
                <label>
                  <input type="radio" name="preset" value={String(sen)} checked={preset === String(sen)} /> {myr(sen)}
                </label>
              ))}
              <label>
                <input type="radio" name="preset" value="custom" checked={preset === 'custom'} /> Other amount
              </label>
            </div>
            <Field
              name="custom"
              label="Other amount (RM)"
              value={form.custom}
              inputmode="decimal"
              placeholder="e.g. 75.00"
              hint={`From ${myr(config.TOPUP_MIN_SEN)} to ${myr(config.TOPUP_MAX_SEN)}.`}
              error={form.error}
            />
          </fieldset>
          <button type="submit">Continue to payment</button>
        </form>

        <h2>Top-ups</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col" class="num">
                  Amount
                </th>
                <th scope="col" class="num">
                  Credit
                </th>
                <th scope="col">Status</th>
                <th scope="col">Paid</th>
              </tr>
            </thead>
            <tbody>
              {topups.length ? (
                topups.map((t) => (
                  <tr>
                    <td>
                      <a href={`/app/credits/topups/${t.id}`}>{utc(t.createdAt)}</a>
                    </td>
                    <td class="num">{myr(t.amount)}</td>
                    <td class="num">{credits(t.credit, cur)}</td>
                    <td>
                      <Badge status={t.status} />
                    </td>
                    <td>{utc(t.paidAt)}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={5}>No top-ups yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>

        <h2>Statement</h2>
        <p>
          <a href="/app/credits/statement.csv">Download the whole statement (CSV)</a>
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Entry</th>
                <th scope="col">Reference</th>
                <th scope="col" class="num">
                  Available change
                </th>
                <th scope="col" class="num">
                  Held change
                </th>
                <th scope="col" class="num">
                  Available after
                </th>
                <th scope="col" class="num">
                  Held after
                </th>
              </tr>
            </thead>
            <tbody>
              {stmt.entries.length ? (
                stmt.entries.map((e) => (
                  <tr>
                    <td>{e.seq}</td>
                    <td>{utc(e.createdAt)}</td>
                    <td>
                      {OP_LABEL[e.op]}
                      {e.reason ? `: ${e.reason}` : ''}
                    </td>
                    <td>
                      <code>{e.key}</code>
                    </td>
                    <td class="num">{credits(e.availableDelta, cur, 4)}</td>
                    <td class="num">{credits(e.heldDelta, cur, 4)}</td>
                    <td class="num">{credits(e.availableAfter, cur, 4)}</td>
                    <td class="num">{credits(e.heldAfter, cur, 4)}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={8}>No ledger entries yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div class="pager">
          {req.query.after && <a href="/app/credits">First entries</a>}
          {stmt.nextCursor !== null && <a href={`/app/credits?after=${stmt.nextCursor}`}>Later entries</a>}
        </div>
      </Page>,
      status,
    );
  }

  r.get('/app/credits', (req, res) => creditsPage(req, res));

  r.post('/app/credits/topups', async (req, res) => {
    const acct = accountId(req);
    const preset = String(req.body?.preset ?? '');
    const custom = typeof req.body?.custom === 'string' ? req.body.custom.slice(0, 40) : '';
    const sen = preset === 'custom' ? parseRinggit(custom) : TOPUP_PRESETS_SEN.find((p) => String(p) === preset);
    if (sen === undefined)
      return creditsPage(
        req,
        res,
        {
          preset,
          custom,
          error: preset === 'custom' ? 'amount: enter an amount in ringgit, e.g. 75.00' : 'amount: choose an amount',
        },
        400,
      );
    const bad = checkTopUpAmount(config, sen);
    if (bad) return creditsPage(req, res, { preset, custom, error: `amount: ${bad}` }, 400);
    const request = z.uuid().safeParse(req.body?.request);
    const { topUp } = await createTopUp(deps, acct, {
      amount: sen,
      idempotencyKey: request.success ? `console-${request.data}` : undefined,
    });
    // straight to Billplz; the payer comes back through /billing/return to this top-up's page
    if (topUp.paymentUrl) return res.redirect(303, topUp.paymentUrl);
    res.redirect(303, `/app/credits/topups/${topUp.id}`);
  });

  const loadTopUp = async (req: Parameters<Parameters<typeof r.get>[1]>[0]) => {
    const id = z.uuid().safeParse(req.params.id);
    const t = id.success ? await getTopUp(sql, accountId(req), id.data) : undefined;
    if (!t) throw notFound('top-up');
    return t;
  };

  r.get('/app/credits/topups/:id', async (req, res) => {
    const s = session(req);
    const t = await loadTopUp(req);
    sendHtml(
      res,
      <Page title={`Top-up of ${myr(t.amount)}`} session={s} active="/app/credits">
        <TopUpStatus t={t} currency={s.currency} />
        <p>
          Created {utc(t.createdAt)}. <a href="/app/credits">Back to credits</a>
        </p>
      </Page>,
    );
  });

  // htmx polls this while the top-up is pending; a final answer carries no trigger, so polling stops
  r.get('/app/credits/topups/:id/status', async (req, res) => {
    const t = await loadTopUp(req);
    if (!isHtmx(req)) return res.redirect(303, `/app/credits/topups/${t.id}`);
    sendFragment(res, <TopUpStatus t={t} currency={session(req).currency} />);
  });

  r.get('/app/credits/statement.csv', async (req, res) => {
    const acct = accountId(req);
    res.type('text/csv').set('content-disposition', 'attachment; filename="statement.csv"');
    res.write(
      csvLine([
        'seq',
        'created_at',
        'entry',
        'key',
        'hold_key',
        'reason',
        'available_delta_micro',
        'held_delta_micro',
        'available_after_micro',
        'held_after_micro',
      ]),
    );
    let cursor: number | null | undefined;
    do {
      const page = await ledger.statement(acct, { limit: 500, cursor: cursor ?? undefined });
      for (const e of page.entries)
        res.write(
          csvLine([
            e.seq,
            e.createdAt,
            OP_LABEL[e.op],
            e.key,
            e.holdKey,
            e.reason,
            e.availableDelta,
            e.heldDelta,
            e.availableAfter,
            e.heldAfter,
          ]),
        );
      cursor = page.nextCursor;
    } while (cursor !== null);
    res.end();
  });
  void HttpError;
  return r;
}
