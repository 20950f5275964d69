import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { HttpError, notFound } from '../../errors';
import { getCallDetail, listCalls, type CallFilter, type CallListRow } from '../../calls/store';
import { listCampaigns } from '../../campaigns/store';
import { TERMINAL_STATUSES } from '../../../workflows/call/contract';
import { accountId, sendHtml, session } from '../context';
import { Badge, Page } from '../views/layout';
import { credits, label, num, phone, utc } from '../views/format';
import { csvLine } from '../csv';

const STATUSES = ['validating', 'holding', 'dialing', 'ringing', 'in_progress', 'settling', ...TERMINAL_STATUSES];
const day = z.iso.date();
const Filters = z.object({
  campaign: z
    .uuid()
    .optional()
    .or(z.literal('').transform(() => undefined)),
  status: z
    .enum(STATUSES as [string, ...string[]])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  outcome: z
    .string()
    .max(50)
    .optional()
    .transform((s) => s?.trim() || undefined),
  from: day.optional().or(z.literal('').transform(() => undefined)),
  to: day.optional().or(z.literal('').transform(() => undefined)),
  digits: z
    .string()
    .regex(/^\d{1,4}$/, 'last digits: 1 to 4 digits')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  cursor: z.string().max(200).optional(),
});

export function filterOf(q: z.infer<typeof Filters>): CallFilter {
  return {
    campaignId: q.campaign,
    status: q.status,
    outcome: q.outcome,
    lastDigits: q.digits,
    from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined,
    // the "to" day is included: the window ends at the next midnight
    to: q.to ? new Date(new Date(`${q.to}T00:00:00Z`).getTime() + 86_400_000) : undefined,
  };
}

export function CallsTable({
  rows,
  currency,
  showCampaign = true,
}: {
  rows: CallListRow[];
  currency: string;
  showCampaign?: boolean;
}) {
  return (
    <div class="table-wrap">
      <table id="calls">
        <thead>
          <tr>
            <th scope="col">Created</th>
            {showCampaign && <th scope="col">Campaign</th>}
            <th scope="col">Number</th>
            <th scope="col">Attempt</th>
            <th scope="col">Status</th>
            <th scope="col">Outcome</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col" class="num">
              Charged
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length ? (
            rows.map((c) => (
              <tr>
                <td>
                  <a href={`/app/calls/${c.id}`}>{utc(c.created_at)}</a>
                </td>
                {showCampaign && <td>{c.campaign_name ?? '—'}</td>}
                <td>{phone(c.to_e164)}</td>
                <td>{c.attempt}</td>
                <td>
                  <Badge status={c.status} />
                </td>
                <td>{c.outcome ? label(c.outcome) : '—'}</td>
                <td class="num">{c.duration_sec === null ? '—' : `${c.duration_sec} s`}</td>
                <td class="num">{credits(c.charged, currency, 4)}</td>
              </tr>
            ))
          ) : (
            <tr>
              <td colSpan={showCampaign ? 8 : 7}>No calls match.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

const PAGE = 50;
const temporalUiBase = (c: AppDeps['config']) =>
  (c.TEMPORAL_UI_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`).replace(/\/$/, '');

/** Calls: the filtered, keyset-paginated table and its CSV, and a call's detail (timeline, transcript, costs, latency). */
export function callRoutes({ sql, config }: AppDeps): Router {
  const r = Router();

  function parseFilters(req: Request) {
    const q = Filters.safeParse(req.query);
    if (!q.success)
      throw new HttpError(400, 'validation_failed', q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return q.data;
  }

  r.get('/app/calls', async (req, res) => {
    const s = session(req);
    const acct = accountId(req);
    const q = parseFilters(req);
    const [page, campaigns] = await Promise.all([
      listCalls(sql, acct, filterOf(q), { limit: PAGE, cursor: q.cursor, order: 'desc' }),
      listCampaigns(sql, acct, 200),
    ]);
    const params = new URLSearchParams(
      Object.entries({
        campaign: q.campaign,
        status: q.status,
        outcome: q.outcome,
        from: q.from,
        to: q.to,
        digits: q.digits,
      }).filter(([, v]) => v) as [string, string][],
    );
    const qs = params.toString();
    sendHtml(
      res,
      <Page title="Calls" session={s} active="/app/calls">
        <form method="get" action="/app/calls" class="row" aria-label="Filter calls">
          <div class="field">
            <label for="f-campaign">Campaign</label>
            <select id="f-campaign" name="campaign">
              <option value="">All</option>
              {campaigns.map((c) => (
                <option value={c.id} selected={c.id === q.campaign}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-status">Status</label>
            <select id="f-status" name="status">
              <option value="">All</option>
              {STATUSES.map((st) => (
                <option value={st} selected={st === q.status}>
                  {label(st)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-outcome">Outcome</label>
            <input id="f-outcome" name="outcome" value={q.outcome ?? ''} />
          </div>
          <div class="field">
            <label for="f-from">From (UTC)</label>
            <input id="f-from" type="date" name="from" value={q.from ?? ''} />
          </div>
          <div class="field">
            <label for="f-to">To (UTC)</label>
            <input id="f-to" type="date" name="to" value={q.to ?? ''} />
          </div>
          <div class="field">
            <label for="f-digits">Number ends with</label>
            <input id="f-digits" name="digits" inputMode="numeric" maxLength={4} size={5} value={q.digits ?? ''} />
          </div>
          <button type="submit">Filter</button>
          <a href="/app/calls">Clear</a>
        </form>
        <p>
          <a href={`/app/calls.csv${qs ? `?${qs}` : ''}`}>Download these calls (CSV)</a>
        </p>
        <CallsTable rows={page.rows} currency={s.currency} />
        <nav class="pager" aria-label="Pages">
          {q.cursor && <a href={`/app/calls${qs ? `?${qs}` : ''}`}>Newest</a>}
          {page.nextCursor && (
            <a href={`/app/calls?${new URLSearchParams([...params, ['cursor', page.nextCursor]])}`} rel="next">
              Older calls
            </a>
          )}
        </nav>
      </Page>,
    );
  });

  r.get('/app/calls.csv', async (req, res) => {
    const acct = accountId(req);
    const q = parseFilters(req);
    res.type('text/csv').set('content-disposition', 'attachment; filename="calls.csv"');
    res.write(
      csvLine(['call_id', 'created_at', 'campaign', 'number', 'attempt', 'status', 'outcome', 'duration_sec', 'charged_micro']),
    );
    let cursor: string | undefined;
    do {
      const page = await listCalls(sql, acct, filterOf(q), { limit: 1_000, cursor, order: 'desc' });
      for (const c of page.rows)
        res.write(
          csvLine([
            c.id,
            c.created_at,
            c.campaign_name,
            phone(c.to_e164),
            c.attempt,
            c.status,
            c.outcome,
            c.duration_sec,
            c.charged,
          ]),
        );
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    res.end();
  });

  r.get('/app/calls/:id', async (req, res) => {
    const s = session(req);
    const call = await getCallDetail(sql, accountId(req), String(req.params.id));
    if (!call) throw notFound('call');
    const cur = s.currency;
    const k = call.cost;
    const steps: [string, Date | null][] = [
      ['Scheduled', call.createdAt],
      ['Dialed', call.timeline.dialedAt],
      ['Answered', call.answeredAt],
      ['Ended', call.endedAt],
      ['Settled', call.timeline.settledAt],
    ];
    const ui = `${temporalUiBase(config)}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(`call/${call.id}`)}`;
    const latencyKeys = ['sttFinalMs', 'llmFirstTokenMs', 'firstClauseMs', 'ttsFirstByteMs', 'firstFrameMs'];
    const turnsWithLatency = call.transcript.filter((t) => t.latency && Object.keys(t.latency).length);
    sendHtml(
      res,
      <Page title={`Call to ${phone(call.to, s.role === 'owner')}`} session={s} active="/app/calls">
        <p>
          Status <Badge status={call.status} /> · attempt {call.attempt} ·{' '}
          {call.durationSec === null ? 'no duration' : `${call.durationSec} s`}
          {call.answeredBy ? ` · answered by ${call.answeredBy}` : ''}
          {call.error ? ` · ${call.error}` : ''}
        </p>
        <p>
          {call.campaignId && (
            <>
              <a href={`/app/campaigns/${call.campaignId}`}>Campaign</a> ·{' '}
            </>
          )}
          <a href={ui}>Workflow in the Temporal Web UI</a>
        </p>
        <h2>Outcome</h2>
        <p>
          {call.outcome ? (
            <>
              <strong>{label(call.outcome.result)}</strong>
              {call.outcome.notes ? ` — ${call.outcome.notes}` : ''}
              {call.outcome.callbackAt ? ` (call back ${call.outcome.callbackAt})` : ''}
            </>
          ) : (
            'None recorded.'
          )}
        </p>
        <h2>Status timeline</h2>
        <ol class="timeline">
          {steps
            .filter(([, at]) => at)
            .map(([name, at]) => (
              <li>
                <strong>{name}</strong> {utc(at)}
              </li>
            ))}
          <li>
            <strong>Final status</strong> {label(call.status)}
          </li>
        </ol>
        <h2>Transcript</h2>
        {call.transcript.length ? (
          <ol class="chat" aria-label="Transcript">
            {call.transcript.map((t) => (
              <li class={t.role}>
                <span class="who">
                  {t.role === 'agent' ? 'Agent' : t.role === 'caller' ? 'Caller' : 'System'}
                  {t.atMs !== null ? ` · ${(t.atMs / 1000).toFixed(1)} s` : ''}
                </span>
                {t.text}
                {t.interrupted && (
                  <>
                    {' '}
                    <span class="cut">[cut off by the caller — this is what was heard]</span>
                  </>
                )}
              </li>
            ))}
          </ol>
        ) : (
          <p>No transcript.</p>
        )}
        <h2>Cost</h2>
        {k ? (
          <div class="table-wrap">
            <table id="costs">
              <tbody>
                <tr>
                  <th scope="row">Speech to text (Azure)</th>
                  <td class="num">{credits(k.azureSttCost, cur, 6)}</td>
                  <td>{num(k.usage.sttAudioMs / 1000, 1)} s of audio</td>
                </tr>
                <tr>
                  <th scope="row">Language model</th>
                  <td class="num">{credits(k.llmCost, cur, 6)}</td>
                  <td>
                    {num(k.usage.promptTokens)} prompt + {num(k.usage.completionTokens)} completion tokens
                  </td>
                </tr>
                <tr>
                  <th scope="row">Text to speech</th>
                  <td class="num">{credits(k.ttsCost, cur, 6)}</td>
                  <td>{num(k.usage.ttsCharacters)} characters</td>
                </tr>
                <tr>
                  <th scope="row">Twilio</th>
                  <td class="num">{credits(k.twilioCost, cur, 6)}</td>
                  <td></td>
                </tr>
                <tr>
                  <th scope="row">Total provider cost</th>
                  <td class="num">{credits(k.totalProviderCost, cur, 6)}</td>
                  <td></td>
                </tr>
                <tr>
                  <th scope="row">Charged</th>
                  <td class="num">{credits(k.chargedAmount, cur, 6)}</td>
                  <td>{num(k.usage.billedSeconds)} billed seconds</td>
                </tr>
                <tr>
                  <th scope="row">Margin</th>
                  <td class="num">{credits(k.profitMargin, cur, 6)}</td>
                  <td>price list {k.priceListVersion}</td>
                </tr>
              </tbody>
            </table>
          </div>
        ) : (
          <p>No costs recorded (the call was not answered or has not settled).</p>
        )}
        <h2>Latency per turn</h2>
        {turnsWithLatency.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Turn</th>
                  {['STT final', 'LLM first token', 'First clause', 'TTS first byte', 'First frame'].map((h) => (
                    <th scope="col" class="num">
                      {h} (ms)
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {turnsWithLatency.map((t) => (
                  <tr>
                    <td>{t.seq}</td>
                    {latencyKeys.map((key) => (
                      <td class="num">{t.latency![key] ?? '—'}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>No latency measured.</p>
        )}
      </Page>,
    );
  });
  return r;
}
