import { z } from 'zod';

/**
 * A campaign's post-call analysis settings: an optional summary and the fields to extract, e.g.
 * `callback_at: datetime`, `interest: enum(high, low, none)`. From them come the JSON schema the
 * model is asked to answer in (strict structured output) and the zod schema its answer is checked
 * with — the same definition, so the two cannot disagree.
 */
export const AnalysisFieldSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _, starting with a letter'),
    type: z.enum(['text', 'number', 'boolean', 'enum', 'date', 'datetime']),
    description: z.string().min(1).max(500),
    /** enum only: the allowed values */
    values: z.array(z.string().min(1).max(50)).min(2).max(20).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.type === 'enum' && !f.values)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum field lists its values' });
    if (f.type !== 'enum' && f.values)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'values are for enum fields only' });
  });

export const AnalysisConfigSchema = z
  .object({
    summary: z.boolean().default(true),
    fields: z.array(AnalysisFieldSchema).max(30).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.fields.map((f) => f.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `${n} is named twice` });
    });
    if (!c.summary && !c.fields.length)
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'ask for a summary or at least one field' });
  });
export type AnalysisConfig = z.infer<typeof AnalysisConfigSchema>;
export type AnalysisField = z.infer<typeof AnalysisFieldSchema>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function fieldSchema(f: AnalysisField): z.ZodType {
  const d = f.description;
  switch (f.type) {
    case 'text':
      return z.string().max(2_000).describe(d);
    case 'number':
      return z.number().describe(d);
    case 'boolean':
      return z.boolean().describe(d);
    case 'enum':
      return z.enum(f.values as [string, ...string[]]).describe(d);
    case 'date':
      return z.string().regex(ISO_DATE, 'a date as YYYY-MM-DD').describe(`${d} (YYYY-MM-DD)`);
    case 'datetime':
      return z.iso.datetime({ offset: true }).describe(`${d} (ISO 8601 date-time with offset)`);
  }
}

/**
 * What the model must return: `{ summary?, fields: { <name>: value | null } }`. Every field is
 * required and nullable (strict structured output wants all properties required; null says the
 * call did not tell).
 */
export function analysisResultSchema(config: AnalysisConfig) {
  const fields = z.strictObject(Object.fromEntries(config.fields.map((f) => [f.name, fieldSchema(f).nullable()])));
  return config.summary
    ? z.strictObject({
        summary: z.string().min(1).max(4_000).describe('two or three sentences on what was said and agreed'),
        fields,
      })
    : z.strictObject({ fields });
}
export type AnalysisResult = { summary?: string; fields: Record<string, unknown> };

export function analysisJsonSchema(config: AnalysisConfig): Record<string, unknown> {
  const js = z.toJSONSchema(analysisResultSchema(config), { target: 'draft-7' }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}
