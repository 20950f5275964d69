import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { notFound } from '../errors';
import { AnalysisConfigSchema, type AnalysisConfig } from '../../lib/analysis/schema';
import type { AnalysisSettings } from '../contract/analysis';

/**
 * A campaign's post-call analysis settings. PUT replaces them (they apply to calls analysed from
 * then on, so they can be set while the campaign runs); `null` turns analysis off.
 */
export const PutAnalysisSchema = z.object({ analysis: AnalysisConfigSchema.nullable() }).strict();

export function analysisRouter({ sql }: AppDeps): Router {
  const r = Router();
  const uuid = z.uuid();
  const campaignOf = async (req: Parameters<typeof accountOf>[0]) => {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const [c] = id.success
      ? await sql<
          { id: string; analysis: AnalysisConfig | null }[]
        >`select id, analysis from campaigns where id = ${id.data} and account_id = ${accountId}`
      : [];
    if (!c) throw notFound('campaign');
    return c;
  };
  r.get('/campaigns/:id/analysis', async (req, res) => {
    const c = await campaignOf(req);
    res.json({ analysis: c.analysis ?? null } satisfies AnalysisSettings);
  });
  r.put('/campaigns/:id/analysis', async (req, res) => {
    const c = await campaignOf(req);
    const body = PutAnalysisSchema.parse(req.body ?? {});
    await sql`update campaigns set analysis = ${body.analysis ? sql.json(body.analysis as never) : null} where id = ${c.id}`;
    res.json({ analysis: body.analysis } satisfies AnalysisSettings);
  });
  return r;
}
