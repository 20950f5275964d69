/**
 * Personalised calls. Entry points:
 *   renderAgent(agent, variables)          the agent a call runs with (loadCallAgent)
 *   contactVariables(contact)              a contact's variables, its name included
 *   missingVariables(agent, contacts)      contacts a campaign's templates cannot be filled for
 *   checkAgentTemplates(agent)             syntax errors, by field
 *   checkDisclosure(firstMessage)          who is calling and why (disclosure.ts)
 */
import { parseTemplate, renderTemplate, templateVariables, TemplateSyntaxError } from './render';

export {
  renderTemplate,
  templateVariables,
  parseTemplate,
  normalizeVariables,
  TemplateSyntaxError,
  MissingVariablesError,
} from './render';
export { checkDisclosure, DISCLOSURE_EXAMPLE, type DisclosureResult } from './disclosure';

/** The agent fields that are templates. */
export const TEMPLATE_FIELDS = ['firstMessage', 'systemPrompt', 'voicemailMessage'] as const;
type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** A contact's variables for its templates: the CSV columns, and `name` from the name column. */
export function contactVariables(contact: {
  name?: string | null;
  variables?: Record<string, string> | null;
}): Record<string, string> {
  return { ...(contact.variables ?? {}), ...(contact.name ? { name: contact.name } : {}) };
}

/**
 * The agent with its templates filled for one contact. Not strict by default: at call time a
 * missing value (which the upload and start checks already refuse) becomes empty text rather than
 * failing the call; pass strict to throw MissingVariablesError instead.
 */
export function renderAgent<A extends { firstMessage: string; systemPrompt: string; voicemailMessage?: string }>(
  agent: A,
  variables: Record<string, string | null | undefined>,
  opts: { strict?: boolean } = {},
): A {
  const strict = opts.strict ?? false;
  return {
    ...agent,
    firstMessage: renderTemplate(agent.firstMessage, variables, { strict }),
    systemPrompt: renderTemplate(agent.systemPrompt, variables, { strict }),
    ...(agent.voicemailMessage !== undefined
      ? { voicemailMessage: renderTemplate(agent.voicemailMessage, variables, { strict }) }
      : {}),
  };
}

/** Template syntax errors of the agent, by field (empty when all parse). */
export function checkAgentTemplates(agent: Partial<Record<TemplateField, string>>): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  for (const f of TEMPLATE_FIELDS) {
    const t = agent[f];
    if (typeof t !== 'string') continue;
    try {
      parseTemplate(t);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) errors.push({ field: `agent.${f}`, message: err.message });
      else throw err;
    }
  }
  return errors;
}

/** Variables a contact must have: named without a default in any of the agent's templates. */
export function requiredVariables(agent: Partial<Record<TemplateField, string>>): string[] {
  const req = new Set<string>();
  for (const f of TEMPLATE_FIELDS) {
    const t = agent[f];
    if (typeof t === 'string') for (const v of templateVariables(t)) if (v.required) req.add(v.name);
  }
  return [...req];
}

/** Contacts lacking a required variable, each with its line (or other locator) and the names it lacks. */
export function missingVariables<C extends { name?: string | null; variables?: Record<string, string> | null }>(
  agent: Partial<Record<TemplateField, string>>,
  contacts: C[],
): { contact: C; missing: string[] }[] {
  const required = requiredVariables(agent);
  if (!required.length) return [];
  const out: { contact: C; missing: string[] }[] = [];
  for (const c of contacts) {
    const vars = contactVariables(c);
    const have = new Set(
      Object.entries(vars)
        .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
        .map(([k]) => k.toLowerCase()),
    );
    const missing = required.filter((r) => !have.has(r));
    if (missing.length) out.push({ contact: c, missing });
  }
  return out;
}
