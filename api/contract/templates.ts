import { z } from 'zod';
import { PreviewQuerySchema } from '../templates/schemas';
import { IdPath, type Operation } from './common';

/** The agent rendered for one contact: what api/templates/routes.ts returns. */

export const AgentPreviewSchema = z
  .object({
    contactId: z.uuid(),
    phone: z.string().meta({ description: 'E.164', example: '+60123456789' }),
    variables: z.record(z.string(), z.string()).meta({ description: "The contact's variables (its CSV columns, and `name`)." }),
    missing: z
      .array(z.string())
      .meta({ description: 'Variables the templates use without a default that this contact lacks (rendered empty).' }),
    firstMessage: z.string(),
    systemPrompt: z.string(),
    voicemailMessage: z.string().nullable(),
    disclosure: z
      .object({
        ok: z.boolean(),
        missing: z.array(z.enum(['who', 'why'])),
        message: z.string().optional().meta({ description: 'When not ok: what to add.' }),
      })
      .meta({ description: 'Whether the first message says who is calling and why, as automated-call rules want.' }),
  })
  .meta({ id: 'AgentPreview' });
export type AgentPreview = z.infer<typeof AgentPreviewSchema>;

export const templateOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/campaigns/{id}/preview',
    operationId: 'previewCampaignAgent',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    query: PreviewQuerySchema,
    summary: "The agent's messages as one contact will hear them",
    description:
      'The first message, system prompt and voicemail message with `{{variables}}` filled from the contact (given by id, or by phone number, `+` written %2B), the variables used, any missing, and the disclosure check.',
    ok: {
      status: 200,
      description: 'The rendered agent.',
      schema: AgentPreviewSchema,
      example: {
        contactId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        phone: '+60123456789',
        variables: { name: 'Aminah', plan: 'gold' },
        missing: [],
        firstMessage: 'Hi Aminah, this is Aina from Acme Insurance, calling about your gold policy renewal.',
        systemPrompt: 'You are Aina from Acme Insurance. The customer is on the gold plan.',
        voicemailMessage: null,
        disclosure: { ok: true, missing: [] },
      } satisfies AgentPreview,
    },
    errors: { 404: 'No such campaign in this account, or no such contact in the campaign.' },
  },
];
