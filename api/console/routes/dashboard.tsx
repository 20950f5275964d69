import { Router } from 'express';
import type { AppDeps } from '../../app';
import { accountSummary } from '../../../lib/reports/summary';
import { callSeries, callsByStatus } from '../../../lib/reports/series';
import { createLedger } from '../../../lib/ledger';
import { creditBalance } from '../../credits/topups';
import { parseWindow } from '../../routes/reports';
import { accountId, sendHtml, session } from '../context';
import { Page } from '../views/layout';
import { credits, label, num, pct, utc } from '../views/format';

const DAY = 86_400_000;

/**
 * The window's figures are aggregates over every call in it (50,000 rows for a busy month): ~100 ms
 * of SQL on a small machine. They are kept per account and period for CACHE_MS, so a dashboard left
 * open or reloaded costs one computation per half minute per API process; the balance is always live.
 */
export const DASHBOARD_CACHE_MS = 30_000;
type Figures = Awaited<ReturnType<typeof computeFigures>>;
const cache = new Map<string, { at: number; figures: Promise<Figures> }>();
export const clearDashboardCache = () => cache.clear();

async function computeFigures(sql: AppDeps['sql'], acct: string, days: number, now: Date) {
  const w = parseWindow({ from: new Date(now.getTime() - days * DAY).toISOString(), to: now.toISOString() });
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const hours = { from: new Date(now.getTime() - 2 * DAY), to: now };
  const days30 = { from: new Date(now.getTime() - 30 * DAY), to: now };
  const [sum, today, month, byStatus, hourly, daily] = await Promise.all([
    accountSummary(sql, acct, w),
    accountSummary(sql, acct, { from: dayStart, to: now }),
    accountSummary(sql, acct, { from: monthStart, to: now }),
    callsByStatus(sql, acct, w),
    callSeries(sql, acct, hours, 'hour'),
    callSeries(sql, acct, days30, 'day'),
  ]);
  return { w, hours, days30, sum, today, month, byStatus, hourly, daily, asOf: now };
}

function figuresFor(sql: AppDeps['sql'], acct: string, days: number): Promise<Figures> {
  const key = `${acct}:${days}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < DASHBOARD_CACHE_MS) return hit.figures;
  for (const [k, v] of cache) if (now - v.at >= DASHBOARD_CACHE_MS) cache.delete(k);
  const figures = computeFigures(sql, acct, days, new Date(now));
  cache.set(key, { at: now, figures });
  figures.catch(() => cache.delete(key));
  return figures;
}

/** A chart drawn by uPlot (assets/charts.js) from its data, with the same data as a table for everyone else. */
export function Chart(p: {
  id: string;
  title: string;
  unit: string;
  points: { at: Date; value: number }[];
  format: (v: number) => string;
  from: Date;
  to: Date;
  stepSec: number;
}) {
  // every bucket of the window, empty ones as 0, so the axis spans the period
  const byAt = new Map(p.points.map((q) => [Math.floor(q.at.getTime() / 1000), q.value]));
  const x: number[] = [];
  const start = Math.floor(p.from.getTime() / 1000 / p.stepSec) * p.stepSec;
  for (let t = start; t <= p.to.getTime() / 1000; t += p.stepSec) x.push(t);
  const data = { x, y: x.map((t) => byAt.get(t) ?? 0), label: p.title, unit: p.unit };
  return (
    <section aria-labelledby={`${p.id}-h`}>
      <h2 id={`${p.id}-h`}>{p.title}</h2>
      <div
        class="chart"
        id={p.id}
        data-chart={JSON.stringify(data)}
        role="img"
        aria-label={`${p.title}: chart; the table below has the figures`}
      ></div>
      <details>
        <summary>{p.title}: table</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col" class="num">
                  {p.unit}
                </th>
              </tr>
            </thead>
            <tbody>
              {p.points.length ? (
                p.points.map((q) => (
                  <tr>
                    <td>{utc(q.at)}</td>
                    <td class="num">{p.format(q.value)}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={2}>No calls in this period.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

/**
 * The dashboard: balance, spend today and this month, and the summary's figures for the chosen
 * window (default 30 days), all from lib/reports/summary.ts (the definitions of GET /v1/reports/summary).
 */
export function dashboardRoutes({ sql }: AppDeps): Router {
  const ledger = createLedger(sql);
  const r = Router();
  r.get('/app', async (req, res) => {
    const s = session(req);
    if (s.role === 'admin') return res.redirect(303, '/app/admin');
    const acct = accountId(req);
    const days = req.query.days === '7' ? 7 : req.query.days === '90' ? 90 : 30;
    const [bal, f] = await Promise.all([creditBalance(sql, ledger, acct), figuresFor(sql, acct, days)]);
    const { w, hours, days30, sum, today, month, byStatus, hourly, daily } = f;
    const cur = bal.currency;
    const cards: [string, string][] = [
      ['Available credit', credits(bal.available, cur)],
      ['Held for calls in flight', credits(bal.held, cur)],
      ['Spend today (UTC)', credits(today.revenueMicro, cur)],
      ['Spend this month', credits(month.revenueMicro, cur)],
    ];
    const figures: [string, string][] = [
      ['Calls', num(sum.calls)],
      ['Answered', `${num(sum.answered)} (${pct(sum.answerRate)})`],
      ['Success rate', pct(sum.successRate)],
      ['Average duration', sum.averageDurationSec === null ? '—' : `${num(sum.averageDurationSec, 1)} s`],
      ['Billed minutes', num(sum.minutes, 2)],
      ['Charged', credits(sum.revenueMicro, cur)],
      ['Provider cost', credits(sum.costMicro, cur)],
      ['Margin', credits(sum.profitMicro, cur)],
      ['Cost per call', credits(sum.costPerCallMicro, cur, 4)],
      ['Charged per call', credits(sum.revenuePerCallMicro, cur, 4)],
      ['Margin per call', credits(sum.profitPerCallMicro, cur, 4)],
    ];
    sendHtml(
      res,
      <Page
        title="Dashboard"
        session={s}
        active="/app"
        head={
          <>
            <link rel="stylesheet" href="/app/assets/uPlot.min.css" />
            <script src="/app/assets/uPlot.iife.min.js" defer></script>
            <script src="/app/assets/charts.js" defer></script>
          </>
        }
      >
        <div class="cards">
          {cards.map(([k, v]) => (
            <div class="card">
              <div class="k">{k}</div>
              <div class="v">{v}</div>
            </div>
          ))}
        </div>
        <h2>Last {days} days</h2>
        <form method="get" action="/app" class="row" aria-label="Period">
          <div class="field">
            <label for="days">Period</label>
            <select id="days" name="days">
              {[7, 30, 90].map((d) => (
                <option value={String(d)} selected={d === days}>{`Last ${d} days`}</option>
              ))}
            </select>
          </div>
          <button type="submit" class="secondary">
            Show
          </button>
        </form>
        <p class="muted">
          Finished calls created in [{utc(w.from)}, {utc(w.to)}), as in GET /v1/reports/summary; money in {cur}. Figures as of{' '}
          {utc(f.asOf)} (refreshed every {DASHBOARD_CACHE_MS / 1000} s).
        </p>
        <div class="cards">
          {figures.map(([k, v]) => (
            <div class="card">
              <div class="k">{k}</div>
              <div class="v">{v}</div>
            </div>
          ))}
        </div>
        <h2>Calls by status</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Calls
                </th>
              </tr>
            </thead>
            <tbody>
              {byStatus.length ? (
                byStatus.map((b) => (
                  <tr>
                    <td>{label(b.status)}</td>
                    <td class="num">{num(b.calls)}</td>
                  </tr>
                ))
              ) : (
                <tr>
                  <td colSpan={2}>No finished calls in this period.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <Chart
          id="calls-hourly"
          title="Calls per hour, last 48 hours"
          unit="Calls"
          points={hourly.map((h) => ({ at: h.at, value: h.calls }))}
          format={(v) => num(v)}
          {...hours}
          stepSec={3600}
        />
        <Chart
          id="spend-daily"
          title="Spend per day, last 30 days"
          unit={`Charged (${cur})`}
          points={daily.map((d) => ({ at: d.at, value: d.chargedMicro / 1e6 }))}
          format={(v) => credits(v * 1e6, cur)}
          {...days30}
          stepSec={86_400}
        />
      </Page>,
    );
  });
  return r;
}
