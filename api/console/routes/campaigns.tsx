import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { renderToString } from 'preact-render-to-string';
import type { AppDeps } from '../../app';
import { HttpError, notFound, zodIssues } from '../../errors';
import { contactsFromCsv, CsvError, normalizeContacts, type ContactInput } from '../../../lib/contacts/normalize';
import { holdFor, loadPriceList } from '../../../lib/pricing';
import {
  campaignProgress,
  campaignView,
  createCampaign,
  findCampaign,
  listCampaigns,
  type CampaignRow,
} from '../../campaigns/store';
import { controlCampaign, startCampaign, type ControlAction } from '../../campaigns/control';
import { NewCampaignSchema } from '../../campaigns/schemas';
import { listCalls, type CallListRow } from '../../calls/store';
import { accountId, isHtmx, sendFragment, sendHtml, session } from '../context';
import { Badge, Csrf, Notice, Page } from '../views/layout';
import { CampaignForm, type FieldErrors, type FormValues } from '../views/campaign-form';
import { CallsTable } from './calls';
import { credits, label, num, utc } from '../views/format';
import type { Session } from '../auth/sessions';

type Progress = Awaited<ReturnType<typeof campaignProgress>>;
const FINAL = new Set(['completed', 'canceled', 'failed']);

/** The live part of a campaign page: status, progress, in flight, by status, spend (pushed over SSE). */
export function Board({ c, p, s, calls }: { c: CampaignRow; p: Progress; s: Session; calls: CallListRow[] }) {
  const currency = s.currency;
  const done = p.progress.contacts.done ?? 0;
  const ratio = c.contact_count ? done / c.contact_count : 0;
  const byStatus = Object.entries(p.progress.calls).sort((a, b) => b[1] - a[1]);
  return (
    <div id="board" data-status={c.status}>
      <p>
        Status: <Badge status={c.status} />
        {c.pause_reason ? <> ({c.pause_reason})</> : null}
      </p>
      <Controls c={c} s={s} />
      <div
        class="progress"
        role="progressbar"
        aria-label="Contacts done"
        aria-valuemin={0}
        aria-valuemax={c.contact_count}
        aria-valuenow={done}
      >
        <span style={`width:${(ratio * 100).toFixed(1)}%`}></span>
      </div>
      <div class="cards">
        <div class="card">
          <div class="k">Contacts done</div>
          <div class="v" id="board-done">
            {num(done)} / {num(c.contact_count)}
          </div>
        </div>
        <div class="card">
          <div class="k">Calls in flight</div>
          <div class="v" id="board-inflight">
            {num(p.progress.inProgress)}
          </div>
        </div>
        <div class="card">
          <div class="k">Charged</div>
          <div class="v">{credits(p.spend.chargedMicro, currency)}</div>
        </div>
        <div class="card">
          <div class="k">Provider cost</div>
          <div class="v">{credits(p.spend.providerCostMicro, currency)}</div>
        </div>
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
              byStatus.map(([st, n]) => (
                <tr>
                  <td>{label(st)}</td>
                  <td class="num" data-status-count={st}>
                    {num(n)}
                  </td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={2}>No calls yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <h2>Latest calls</h2>
      <p>
        <a href={`/app/calls?campaign=${c.id}`}>All calls of this campaign</a>
      </p>
      <CallsTable rows={calls} currency={currency} showCampaign={false} />
    </div>
  );
}

function Controls({ c, s }: { c: CampaignRow; s: Session }) {
  const button = (action: ControlAction | 'start', text: string, cls = '') => (
    <form method="post" action={`/app/campaigns/${c.id}/${action}`} class="inline">
      <Csrf session={s} />
      <button type="submit" class={cls}>
        {text}
      </button>
    </form>
  );
  return (
    <div class="row" aria-label="Campaign controls">
      {c.status === 'draft' && button('start', 'Start')}
      {c.status === 'running' && button('pause', 'Pause', 'secondary')}
      {c.status === 'paused' && button('resume', 'Resume')}
      {(c.status === 'running' || c.status === 'paused') && button('cancel', 'Cancel campaign', 'danger')}
    </div>
  );
}

function CampaignList({ rows, progress }: { rows: CampaignRow[]; progress: Map<string, Progress> }) {
  return (
    <div class="table-wrap" id="campaign-list" hx-get="/app/campaigns/list" hx-trigger="every 3s" hx-swap="outerHTML">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Done
            </th>
            <th scope="col" class="num">
              In flight
            </th>
            <th scope="col" class="num">
              Charged
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.length ? (
            rows.map((c) => {
              const p = progress.get(c.id)!;
              return (
                <tr>
                  <td>
                    <a href={`/app/campaigns/${c.id}`}>{c.name}</a>
                  </td>
                  <td>
                    <Badge status={c.status} />
                  </td>
                  <td class="num">
                    {num(p.progress.contacts.done ?? 0)} / {num(c.contact_count)}
                  </td>
                  <td class="num">{num(p.progress.inProgress)}</td>
                  <td class="num">{credits(p.spend.chargedMicro)}</td>
                  <td>{utc(c.created_at)}</td>
                </tr>
              );
            })
          ) : (
            <tr>
              <td colSpan={6}>
                No campaigns yet. <a href="/app/campaigns/new">Create one</a>.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Form fields -> the body POST /v1/campaigns takes, so NewCampaignSchema judges both alike. */
function bodyFrom(v: FormValues) {
  const s = (k: string) => {
    const x = v[k];
    const t = (Array.isArray(x) ? x[0] : x)?.trim();
    return t ? t : undefined;
  };
  const n = (k: string) => {
    const t = s(k);
    return t === undefined ? undefined : Number(t);
  };
  const arr = (k: string) => (Array.isArray(v[k]) ? (v[k] as string[]) : v[k] ? [v[k] as string] : []);
  const outcomes = s('outcomes')
    ?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const windowGiven = s('timeZone') || s('windowStart') || s('windowEnd') || arr('weekdays').length;
  return {
    name: s('name') ?? '',
    agent: {
      firstMessage: s('firstMessage') ?? '',
      systemPrompt: s('systemPrompt') ?? '',
      language: s('language') ?? '',
      voiceId: s('voiceId') ?? '',
      llmModel: s('llmModel') ?? '',
      ...(outcomes?.length ? { outcomes } : {}),
      ...(s('voicemailMessage') ? { voicemailMessage: s('voicemailMessage') } : {}),
    },
    settings: {
      maxConcurrentCalls: n('maxConcurrentCalls'),
      maxDurationSec: n('maxDurationSec'),
      ringTimeoutSec: n('ringTimeoutSec'),
      voicemailPolicy: s('voicemailPolicy'),
      retry: { maxAttempts: n('maxAttempts') ?? 3, backoffSec: n('backoffSec') ?? 1_800, retryOn: arr('retryOn') },
      ...(windowGiven
        ? {
            callingWindow: {
              timeZone: s('timeZone') ?? '',
              start: s('windowStart') ?? '',
              end: s('windowEnd') ?? '',
              weekdays: arr('weekdays').map(Number),
            },
          }
        : {}),
    },
    defaultRegion: s('defaultRegion') ?? 'MY',
  };
}

/** API field paths -> the form's field names; the message is the API's, path included. */
const FIELD_OF: Record<string, string> = {
  'settings.retry.maxAttempts': 'maxAttempts',
  'settings.retry.backoffSec': 'backoffSec',
  'settings.retry.retryOn': 'maxAttempts',
  'settings.callingWindow.timeZone': 'timeZone',
  'settings.callingWindow.start': 'windowStart',
  'settings.callingWindow.end': 'windowEnd',
  'settings.callingWindow.weekdays': 'weekdays',
};
function fieldErrors(err: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const i of zodIssues(err)) {
    const path = i.field.replace(/\.\d+$/, '');
    const f = FIELD_OF[path] ?? path.split('.').pop()!;
    out[f] ??= `${i.field}: ${i.message}`;
  }
  return out;
}

/** Campaigns: the list (polled), the create wizard, a campaign's live board (SSE) and its controls. */
export function campaignRoutes(deps: AppDeps): Router {
  const { sql, config } = deps;
  const prices = loadPriceList(config.PRICE_LIST_JSON);
  const r = Router();
  const uuid = z.uuid();

  const latestCalls = async (c: CampaignRow) =>
    (await listCalls(sql, c.account_id, { campaignId: c.id }, { limit: 10, order: 'desc' })).rows;

  async function load(req: Request): Promise<CampaignRow> {
    const id = uuid.safeParse(req.params.id);
    const c = id.success ? await findCampaign(sql, accountId(req), id.data) : undefined;
    if (!c) throw notFound('campaign');
    return c;
  }

  async function listData(req: Request) {
    const rows = await listCampaigns(sql, accountId(req), 100);
    const progress = new Map(await Promise.all(rows.map(async (c) => [c.id, await campaignProgress(sql, c.id)] as const)));
    return { rows, progress };
  }

  r.get('/app/campaigns', async (req, res) => {
    const s = session(req);
    const d = await listData(req);
    sendHtml(
      res,
      <Page title="Campaigns" session={s} active="/app/campaigns">
        <p>
          <a class="button" href="/app/campaigns/new">
            New campaign
          </a>
        </p>
        <CampaignList {...d} />
      </Page>,
    );
  });
  r.get('/app/campaigns/list', async (req, res) => {
    if (!isHtmx(req)) return res.redirect(303, '/app/campaigns');
    sendFragment(res, <CampaignList {...await listData(req)} />);
  });

  const wizard = (
    req: Request,
    res: Response,
    values: FormValues,
    errors: FieldErrors,
    status = 200,
    extra: Partial<Parameters<typeof CampaignForm>[0]> = {},
  ) =>
    sendHtml(
      res,
      <Page title="New campaign" session={session(req)} active="/app/campaigns">
        <CampaignForm session={session(req)} values={values} errors={errors} {...extra} />
      </Page>,
      status,
    );

  r.get('/app/campaigns/new', (req, res) => {
    accountId(req);
    wizard(req, res, {}, {});
  });

  r.post('/app/campaigns/new', async (req, res) => {
    const acct = accountId(req);
    const values: FormValues = { ...(req.body ?? {}) };
    delete values._csrf;
    const file = (req as Request & { file?: { buffer: Buffer; originalname: string } }).file;
    if (file && file.buffer.length) {
      values.csvText = file.buffer.toString('utf8');
      values.csvName = file.originalname.slice(0, 200);
    }
    const errors: FieldErrors = {};
    const parsed = NewCampaignSchema.safeParse(bodyFrom(values));
    if (!parsed.success) Object.assign(errors, fieldErrors(parsed.error));
    let rows: ContactInput[] = [];
    const csvText = typeof values.csvText === 'string' ? values.csvText : '';
    if (csvText) {
      try {
        rows = contactsFromCsv(csvText);
        if (!rows.length) errors.csv = 'the CSV has no contact rows';
      } catch (err) {
        if (!(err instanceof CsvError)) throw err;
        errors.csv = err.message;
      }
    } else if (values.action === 'create') errors.csv = 'choose a CSV file with the numbers to call';
    if (Object.keys(errors).length || !parsed.success) return wizard(req, res, values, errors, 400);
    const body = parsed.data;
    if (values.action !== 'create') {
      const report = normalizeContacts(rows, body.defaultRegion);
      return wizard(req, res, values, {}, 200, {
        preview: {
          report,
          holdPerCallMicro: holdFor(body.settings.maxDurationSec, prices),
          maxInFlight: body.settings.maxConcurrentCalls,
        },
      });
    }
    const { campaign, report } = await createCampaign(sql, acct, body, rows);
    res.redirect(
      303,
      `/app/campaigns/${campaign.id}?accepted=${report.accepted.length}&rejected=${report.invalid.length + report.duplicates.length}`,
    );
  });

  async function detail(req: Request, res: Response, notice?: { kind: 'ok' | 'error'; text: string }, status = 200) {
    const s = session(req);
    const c = await load(req);
    const [p, calls] = await Promise.all([campaignProgress(sql, c.id), latestCalls(c)]);
    const created =
      req.query.accepted !== undefined
        ? `Created with ${Number(req.query.accepted) || 0} numbers (${Number(req.query.rejected) || 0} rows rejected).`
        : undefined;
    const view = campaignView(c);
    const DONE: Record<string, string> = {
      start: 'Started.',
      pause: 'Pause requested: calls in flight finish, no new ones start.',
      resume: 'Resumed.',
      cancel: 'Cancel requested: calls in flight finish, no new ones start.',
    };
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    sendHtml(
      res,
      <Page title={c.name} session={s} active="/app/campaigns">
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        {created && <Notice kind="ok">{created}</Notice>}
        {done && <Notice kind="ok">{done}</Notice>}
        <div hx-ext="sse" sse-connect={`/app/campaigns/${c.id}/live`} sse-swap="board" hx-swap="innerHTML" aria-live="polite">
          <Board c={c} p={p} s={s} calls={calls} />
        </div>
        <noscript>
          <p>
            <a href={`/app/campaigns/${c.id}`}>Reload</a> for the latest figures.
          </p>
        </noscript>
        <h2>Settings</h2>
        <dl>
          <dt>Agent</dt>
          <dd>
            {view.agent.language}, voice {view.agent.voiceId}, model {view.agent.llmModel}
          </dd>
          <dt>First message</dt>
          <dd>{view.agent.firstMessage}</dd>
          <dt>Outcomes</dt>
          <dd>{view.agent.outcomes?.join(', ') || '—'}</dd>
          <dt>Calls at a time</dt>
          <dd>{view.settings.maxConcurrentCalls}</dd>
          <dt>Max duration</dt>
          <dd>
            {view.settings.maxDurationSec} s (each call holds{' '}
            {credits(holdFor(view.settings.maxDurationSec, prices), s.currency, 4)})
          </dd>
          <dt>Retries</dt>
          <dd>
            {view.settings.retry.maxAttempts} attempts, {view.settings.retry.backoffSec} s apart, on{' '}
            {view.settings.retry.retryOn.join(', ') || 'nothing'}
          </dd>
          <dt>Calling window</dt>
          <dd>
            {view.settings.callingWindow
              ? `${view.settings.callingWindow.start}–${view.settings.callingWindow.end} ${view.settings.callingWindow.timeZone}, days ${view.settings.callingWindow.weekdays.join(',')}`
              : 'any time'}
          </dd>
          <dt>Voicemail</dt>
          <dd>{label(view.settings.voicemailPolicy)}</dd>
          <dt>Created</dt>
          <dd>
            {utc(view.createdAt)}; started {utc(view.startedAt)}; finished {utc(view.finishedAt)}
          </dd>
        </dl>
      </Page>,
      status,
    );
  }

  r.get('/app/campaigns/:id', (req, res) => detail(req, res));

  for (const action of ['start', 'pause', 'resume', 'cancel'] as const) {
    r.post(`/app/campaigns/:id/${action}`, async (req, res) => {
      const c = await load(req);
      try {
        if (action === 'start') await startCampaign(deps, c);
        else await controlCampaign(deps, c, action, action === 'pause' ? { reason: 'paused from the console' } : {});
      } catch (err) {
        if (err instanceof HttpError && err.status < 500)
          return detail(req, res, { kind: 'error', text: err.message }, err.status);
        throw err;
      }
      res.redirect(303, `/app/campaigns/${c.id}?done=${action}`);
    });
  }

  /**
   * The live board over SSE. Each connection polls Postgres (the campaign row and the progress
   * queries GET /v1/campaigns/:id uses) every POLL_MS and sends the board when it changed, so any
   * API replica serves any browser and nothing depends on in-process events.
   */
  const POLL_MS = 400;
  r.get('/app/campaigns/:id/live', async (req, res) => {
    const s = session(req);
    const first = await load(req);
    res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    let last = '';
    let closed = false;
    let beat = Date.now();
    req.on('close', () => {
      closed = true;
    });
    while (!closed) {
      try {
        const c = (await findCampaign(sql, first.account_id, first.id))!;
        const [p, calls] = await Promise.all([campaignProgress(sql, c.id), latestCalls(c)]);
        const html = renderToString(<Board c={c} p={p} s={s} calls={calls} />);
        if (html !== last) {
          last = html;
          res.write(
            `event: board\n${html
              .split('\n')
              .map((l) => `data: ${l}`)
              .join('\n')}\n\n`,
          );
          beat = Date.now();
        } else if (Date.now() - beat > 15_000) {
          res.write(': keep-alive\n\n');
          beat = Date.now();
        }
        await new Promise((r2) => setTimeout(r2, FINAL.has(c.status) && p.progress.inProgress === 0 ? 5_000 : POLL_MS));
      } catch {
        break;
      }
    }
    res.end();
  });
  return r;
}
