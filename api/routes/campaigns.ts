import express, { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { contactsFromCsv, CsvError, normalizeContacts, type ContactInput } from '../../lib/contacts/normalize';
import { campaignView, findCampaign, insertContacts, listCampaigns, reportSummary, type CampaignRow } from '../campaigns/store';
import { getCallDetail } from '../calls/store';
import { controlCampaign, startCampaign, type ControlAction } from '../campaigns/control';
import { suppressedContacts } from '../../lib/suppression';
import { assertContactsFillTemplates } from '../templates/checks';
import { rejectUnstorableText } from '../text-guard';
import { idempotency, idempotentId } from '../idempotency';
import { csvBody, CSV_BODY_TYPES } from '../campaigns/csv-body';
import { CallsQuerySchema, ContactsUploadSchema, NewCampaignSchema, PauseSchema } from '../campaigns/schemas';
import type { Call, CampaignDetail, ContactReport } from '../contract/campaigns';

// created_at::text as Postgres writes it (DateStyle ISO): "2026-11-26 01:19:51.469123+00". Date.parse
// is far laxer ("1", "March 7" parse), and what it lets through Postgres refuses with an error.
const PG_TIMESTAMP = /^(?!0000)(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2})(:\d{2})?$/;
const isoInstant = z.iso.datetime({ offset: true });
function isPgTimestamp(s: string): boolean {
  const m = PG_TIMESTAMP.exec(s);
  return !!m && isoInstant.safeParse(`${m[1]}T${m[2]}${m[3]}${m[4] ?? ':00'}`).success;
}

/** Campaigns and their calls. Every query is scoped to the caller's account; other ids are 404. */
export function campaignsRouter({ sql, temporal, config }: AppDeps): Router {
  const r = Router();
  const uuid = z.uuid();

  async function load(req: express.Request): Promise<CampaignRow> {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const row = id.success ? await findCampaign(sql, accountId, id.data) : undefined;
    if (!row) throw notFound('campaign');
    return row;
  }

  r.post('/campaigns', idempotency(sql), async (req, res) => {
    const accountId = accountOf(req);
    const body = NewCampaignSchema.parse(req.body ?? {});
    // With an Idempotency-Key the id comes from the key: a re-run after a crash finds this campaign
    // (and its contacts, unique per number) instead of creating a second one.
    const id = idempotentId(req, 'campaign') ?? randomUUID();
    const normalized = normalizeContacts(
      (body.contacts ?? []).map((c, i) => ({ ...c, line: i + 1 })),
      body.defaultRegion,
    );
    assertContactsFillTemplates(body.agent, normalized.accepted);
    await sql`
      insert into campaigns (id, account_id, name, agent, settings)
      values (${id}, ${accountId}, ${body.name}, ${sql.json(body.agent as never)}, ${sql.json({ ...body.settings, defaultRegion: body.defaultRegion } as never)})
      on conflict (id) do nothing`;
    const report = await insertContacts(sql, id, accountId, normalized);
    const fresh = await findCampaign(sql, accountId, id);
    if (!fresh) throw new HttpError(409, 'idempotency_conflict', 'Idempotency-Key already used');
    res.status(201).json({
      campaign: campaignView(fresh!),
      contacts: {
        ...reportSummary(report),
        suppressed: await suppressedContacts(sql, accountId, report.accepted),
      } satisfies ContactReport,
    });
  });

  r.get('/campaigns', async (req, res) => {
    const accountId = accountOf(req);
    const rows = await listCampaigns(sql, accountId);
    res.json({ campaigns: rows.map(campaignView) });
  });

  r.get('/campaigns/:id', async (req, res) => {
    const c = await load(req);
    const contacts = await sql<
      { state: string; n: number }[]
    >`select state, count(*)::int as n from contacts where campaign_id = ${c.id} group by state`;
    const calls = await sql<
      { status: string; n: number }[]
    >`select status, count(*)::int as n from calls where campaign_id = ${c.id} group by status`;
    const [money] = await sql<{ charged: number; cost: number; seconds: number }[]>`
      select coalesce(sum(k.charged_amount), 0)::bigint as charged, coalesce(sum(k.total_provider_cost), 0)::bigint as cost,
             coalesce(sum(k.billed_seconds), 0)::bigint as seconds
      from calls l join call_costs k on k.call_id = l.id where l.campaign_id = ${c.id}`;
    const [live] = await sql<{ n: number }[]>`select count(*)::int as n from calls where campaign_id = ${c.id} and not terminal`;
    res.json({
      ...campaignView(c),
      progress: {
        contacts: Object.fromEntries(contacts.map((x) => [x.state, x.n])),
        calls: Object.fromEntries(calls.map((x) => [x.status, x.n])),
        inProgress: live!.n,
      },
      spend: { chargedMicro: money!.charged, providerCostMicro: money!.cost, billedSeconds: money!.seconds },
    } satisfies CampaignDetail);
  });

  r.post(
    '/campaigns/:id/contacts',
    express.raw({ type: CSV_BODY_TYPES, limit: '20mb' }),
    csvBody,
    rejectUnstorableText,
    idempotency(sql),
    async (req, res) => {
      const c = await load(req);
      if (c.status !== 'draft')
        throw new HttpError(409, 'campaign_started', `contacts can be added to a draft campaign only (this one is ${c.status})`);
      let rows: ContactInput[];
      if (typeof req.body === 'string') {
        try {
          rows = contactsFromCsv(req.body);
        } catch (err) {
          if (err instanceof CsvError) throw new HttpError(400, 'bad_csv', err.message);
          throw err;
        }
      } else {
        if (!req.is('application/json'))
          throw new HttpError(
            415,
            'unsupported_media_type',
            `send the contacts as text/csv (a header row with a phone column) or as application/json, not ${req.get('content-type') ?? 'a body without a Content-Type'}`,
          );
        rows = ContactsUploadSchema.parse(req.body ?? {}).contacts.map((x, i) => ({ ...x, line: i + 1 }));
      }
      if (!rows.length) throw new HttpError(400, 'validation_failed', 'no contacts in the upload');
      const normalized = normalizeContacts(rows, c.settings.defaultRegion ?? 'MY');
      assertContactsFillTemplates(c.agent, normalized.accepted);
      const report = await insertContacts(sql, c.id, c.account_id, normalized);
      res.status(200).json({
        ...reportSummary(report),
        suppressed: await suppressedContacts(sql, c.account_id, report.accepted),
      } satisfies ContactReport);
    },
  );

  r.post('/campaigns/:id/start', async (req, res) => {
    const c = await load(req);
    const started = await startCampaign({ sql, temporal, config }, c);
    res.status(started.started ? 202 : 200).json({ status: started.status, pauseReason: started.pauseReason });
  });

  const control = (name: ControlAction) =>
    r.post(`/campaigns/:id/${name}`, async (req, res) => {
      const c = await load(req);
      const args = name === 'pause' ? PauseSchema.parse(req.body ?? {}) : undefined;
      res.json(await controlCampaign({ sql, temporal }, c, name, args));
    });
  control('pause');
  control('resume');
  control('cancel');

  r.get('/campaigns/:id/calls', async (req, res) => {
    const c = await load(req);
    const q = CallsQuerySchema.parse(req.query);
    // The cursor carries Postgres's own timestamp text: a JS Date would drop its microseconds.
    let after: { at: string; id: string } | undefined;
    if (q.cursor) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(q.cursor, 'base64url').toString());
      } catch {
        parsed = undefined;
      }
      const [at, id] = Array.isArray(parsed) ? parsed : [];
      if (typeof at !== 'string' || !isPgTimestamp(at) || !uuid.safeParse(id).success)
        throw new HttpError(400, 'validation_failed', 'cursor: not a cursor from a previous page');
      after = { at, id: id as string };
    }
    const rows = await sql<
      {
        id: string;
        to_e164: string;
        status: string;
        attempt: number;
        duration_sec: number | null;
        created_at: Date;
        created_key: string;
        contact_id: string;
        charged: number | null;
      }[]
    >`
      select l.id, l.to_e164, l.status, l.attempt, l.duration_sec, l.created_at, l.created_at::text as created_key, l.contact_id, k.charged_amount as charged
      from calls l left join call_costs k on k.call_id = l.id
      where l.campaign_id = ${c.id}
        ${q.status ? sql`and l.status = ${q.status}` : sql``}
        ${after ? sql`and (l.created_at, l.id) > (${after.at}::text::timestamptz, ${after.id}::uuid)` : sql``}
      order by l.created_at, l.id limit ${q.limit + 1}`;
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    res.json({
      calls: page.map((x) => ({
        id: x.id,
        to: x.to_e164,
        status: x.status,
        attempt: x.attempt,
        contactId: x.contact_id,
        durationSec: x.duration_sec,
        chargedMicro: x.charged,
        createdAt: x.created_at.toISOString(),
      })),
      nextCursor:
        rows.length > q.limit && last ? Buffer.from(JSON.stringify([last.created_key, last.id])).toString('base64url') : null,
    });
  });

  r.get('/calls/:id', async (req, res) => {
    const detail = await getCallDetail(sql, accountOf(req), String(req.params.id));
    if (!detail) throw notFound('call');
    const { timeline: _timeline, createdAt, answeredAt, endedAt, ...call } = detail;
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    res.json({ ...call, createdAt: createdAt.toISOString(), answeredAt: iso(answeredAt), endedAt: iso(endedAt) } satisfies Call);
  });
  return r;
}
