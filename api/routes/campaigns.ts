import express, { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { contactsFromCsv, CsvError, normalizeContacts, type ContactInput } from '../../lib/contacts/normalize';
import { campaignProgress, campaignView, createCampaign, findCampaign, insertContacts, listCampaigns, reportSummary, type CampaignRow } from '../campaigns/store';
import { controlCampaign, startCampaign } from '../campaigns/control';
import { getCallDetail, listCalls } from '../calls/store';
import { rejectUnstorableText } from '../text-guard';
import { CallsQuerySchema, ContactsUploadSchema, NewCampaignSchema, PauseSchema } from '../campaigns/schemas';

/** Campaigns and their calls. Every query is scoped to the caller's account; other ids are 404. */
export function campaignsRouter(deps: AppDeps): Router {
  const { sql } = deps;
  const r = Router();
  const uuid = z.uuid();

  async function load(req: express.Request): Promise<CampaignRow> {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const row = id.success ? await findCampaign(sql, accountId, id.data) : undefined;
    if (!row) throw notFound('campaign');
    return row;
  }

  r.post('/campaigns', async (req, res) => {
    const accountId = accountOf(req);
    const body = NewCampaignSchema.parse(req.body ?? {});
    const { campaign, report } = await createCampaign(sql, accountId, body, (body.contacts ?? []).map((c, i) => ({ ...c, line: i + 1 })));
    res.status(201).json({ campaign: campaignView(campaign), contacts: reportSummary(report) });
  });

  r.get('/campaigns', async (req, res) => {
    res.json({ campaigns: (await listCampaigns(sql, accountOf(req))).map(campaignView) });
  });

  r.get('/campaigns/:id', async (req, res) => {
    const c = await load(req);
    res.json({ ...campaignView(c), ...(await campaignProgress(sql, c.id)) });
  });

  r.post('/campaigns/:id/contacts', express.text({ type: ['text/csv', 'text/plain'], limit: '20mb' }), rejectUnstorableText, async (req, res) => {
    const c = await load(req);
    if (c.status !== 'draft') throw new HttpError(409, 'campaign_started', `contacts can be added to a draft campaign only (this one is ${c.status})`);
    let rows: ContactInput[];
    if (typeof req.body === 'string') {
      try {
        rows = contactsFromCsv(req.body);
      } catch (err) {
        if (err instanceof CsvError) throw new HttpError(400, 'bad_csv', err.message);
        throw err;
      }
    } else {
      rows = ContactsUploadSchema.parse(req.body ?? {}).contacts.map((x, i) => ({ ...x, line: i + 1 }));
    }
    if (!rows.length) throw new HttpError(400, 'validation_failed', 'no contacts in the upload');
    const report = await insertContacts(sql, c.id, c.account_id, normalizeContacts(rows, c.settings.defaultRegion ?? 'MY'));
    res.status(200).json(reportSummary(report));
  });

  r.post('/campaigns/:id/start', async (req, res) => {
    const c = await load(req);
    const s = await startCampaign(deps, c);
    res.status(s.started ? 202 : 200).json({ status: s.status, pauseReason: s.pauseReason });
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    r.post(`/campaigns/:id/${action}`, async (req, res) => {
      const c = await load(req);
      res.json(await controlCampaign(deps, c, action, action === 'pause' ? PauseSchema.parse(req.body ?? {}) : {}));
    });
  }

  r.get('/campaigns/:id/calls', async (req, res) => {
    const c = await load(req);
    const q = CallsQuerySchema.parse(req.query);
    const page = await listCalls(sql, c.account_id, { campaignId: c.id, status: q.status }, { limit: q.limit, cursor: q.cursor, order: 'asc' });
    res.json({
      calls: page.rows.map((x) => ({ id: x.id, to: x.to_e164, status: x.status, attempt: x.attempt, contactId: x.contact_id, durationSec: x.duration_sec, chargedMicro: x.charged, createdAt: x.created_at.toISOString() })),
      nextCursor: page.nextCursor,
    });
  });

  r.get('/calls/:id', async (req, res) => {
    const call = await getCallDetail(sql, accountOf(req), String(req.params.id));
    if (!call) throw notFound('call');
    const { timeline: _t, ...body } = call;
    res.json(body);
  });
  return r;
}
