import { z } from 'zod';
import { PutAnalysisSchema } from '../analysis/routes';
import { IdPath, type Operation } from './common';

/** A campaign's post-call analysis settings: what api/analysis/routes.ts returns. */

export const AnalysisSettingsSchema = z
  .object({
    analysis: z
      .object({
        summary: z.boolean().meta({ description: 'Whether each call gets a two- or three-sentence summary.' }),
        fields: z
          .array(
            z.object({
              name: z.string().meta({ example: 'callback_at' }),
              type: z.enum(['text', 'number', 'boolean', 'enum', 'date', 'datetime']),
              description: z.string(),
              values: z.array(z.string()).optional().meta({ description: 'enum fields: the allowed values.' }),
            }),
          )
          .meta({
            description:
              "The fields extracted from each call's transcript (in the call's `analysis.fields`; null where the call did not tell).",
          }),
      })
      .nullable()
      .meta({ description: "null: the campaign's calls are not analysed." }),
  })
  .meta({ id: 'AnalysisSettings' });
export type AnalysisSettings = z.infer<typeof AnalysisSettingsSchema>;

const example: AnalysisSettings = {
  analysis: {
    summary: true,
    fields: [
      {
        name: 'interest',
        type: 'enum',
        description: 'How interested the callee was in renewing',
        values: ['high', 'low', 'none'],
      },
      { name: 'callback_at', type: 'datetime', description: 'When the callee asked to be called back, if they did' },
    ],
  },
};

export const analysisOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/campaigns/{id}/analysis',
    operationId: 'getCampaignAnalysis',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: "The campaign's post-call analysis settings",
    ok: { status: 200, description: 'The settings (null: none).', schema: AnalysisSettingsSchema, example },
    errors: { 404: 'No such campaign in this account.' },
  },
  {
    method: 'put',
    path: '/v1/campaigns/{id}/analysis',
    operationId: 'setCampaignAnalysis',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'Set the post-call analysis: a summary and fields to extract',
    description:
      'Replaces the settings; they apply to calls analysed from then on, so they can be changed while the campaign runs. `analysis: null` turns analysis off. Field types: text, number, boolean, enum (with `values`), date, datetime.',
    body: { schema: PutAnalysisSchema, example },
    ok: { status: 200, description: 'The settings now.', schema: AnalysisSettingsSchema, example },
    errors: { 404: 'No such campaign in this account.' },
  },
];
