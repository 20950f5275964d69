import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { notFound } from '../errors';
import { checkDisclosure, contactVariables, renderAgent, requiredVariables } from '../../lib/templates';
import { normalizeContacts } from '../../lib/contacts/normalize';
import type { AgentConfig } from '../../workflows/call/contract';
import type { AgentPreview } from '../contract/templates';
import { PreviewQuerySchema } from './schemas';

/**
 * GET /v1/campaigns/:id/preview?contact=… — the agent's first message (and system prompt, voicemail
 * message) as this contact will get them. `contact` is the contact's id or its phone number
 * (E.164, `+` written %2B).
 */
export function templatesRouter({ sql }: AppDeps): Router {
  const r = Router();
  const uuid = z.uuid();
  r.get('/campaigns/:id/preview', async (req, res) => {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const [c] = id.success
      ? await sql<{ id: string; agent: AgentConfig; settings: { defaultRegion?: string } }[]>`
      select id, agent, settings from campaigns where id = ${id.data} and account_id = ${accountId}`
      : [];
    if (!c) throw notFound('campaign');
    const key = PreviewQuerySchema.parse(req.query).contact;
    const byId = uuid.safeParse(key);
    const phone = byId.success
      ? undefined
      : normalizeContacts([{ line: 1, phone: key }], c.settings.defaultRegion ?? 'MY').accepted[0]?.phone;
    const [contact] = byId.success
      ? await sql<{ id: string; seq: number; phone_e164: string; name: string | null; variables: Record<string, string> }[]>`
          select id, seq, phone_e164, name, variables from contacts where campaign_id = ${c.id} and id = ${byId.data}`
      : phone
        ? await sql<{ id: string; seq: number; phone_e164: string; name: string | null; variables: Record<string, string> }[]>`
          select id, seq, phone_e164, name, variables from contacts where campaign_id = ${c.id} and phone_e164 = ${phone}`
        : [];
    if (!contact) throw notFound('contact');
    const variables = contactVariables(contact);
    const have = new Set(Object.keys(variables).map((k) => k.toLowerCase()));
    const rendered = renderAgent(c.agent, variables);
    res.json({
      contactId: contact.id,
      phone: contact.phone_e164,
      variables,
      missing: requiredVariables(c.agent).filter((v) => !have.has(v)),
      firstMessage: rendered.firstMessage,
      systemPrompt: rendered.systemPrompt,
      voicemailMessage: rendered.voicemailMessage ?? null,
      disclosure: checkDisclosure(c.agent.firstMessage),
    } satisfies AgentPreview);
  });
  return r;
}
