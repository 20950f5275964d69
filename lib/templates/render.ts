/**
 * `{{name}}` placeholders in an agent's texts, filled from the contact's variables (the CSV's
 * columns other than the phone). `{{name|there}}` falls back to "there" when the contact has no
 * such value. Names are letters, digits and underscores, matched case-insensitively (CSV headers
 * are lower-cased). Rendering is one pass: a value that itself contains `{{…}}` is inserted as text,
 * never expanded.
 */
export type TemplatePart = { text: string } | { name: string; fallback?: string; raw: string };

export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export class MissingVariablesError extends Error {
  override name = 'MissingVariablesError';
  constructor(readonly missing: string[]) {
    super(`no value for ${missing.map((m) => `{{${m}}}`).join(', ')} and no default`);
  }
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  // a lone {{ or }} left in the text is almost always a typo of a placeholder
  const text = (from: number, to: number) => {
    if (to <= from) return;
    const t = template.slice(from, to);
    const bad = t.search(/\{\{|\}\}/);
    if (bad >= 0)
      throw new TemplateSyntaxError(`unmatched "${t.slice(bad, bad + 2)}" at character ${from + bad + 1}`, from + bad);
    parts.push({ text: t });
  };
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const at = m.index!;
    text(last, at);
    const inner = m[1]!;
    const bar = inner.indexOf('|');
    const name = (bar < 0 ? inner : inner.slice(0, bar)).trim();
    if (!NAME.test(name)) {
      throw new TemplateSyntaxError(
        `"${m[0]}" at character ${at + 1}: a placeholder is {{name}} or {{name|default}}, the name letters, digits and _`,
        at,
      );
    }
    parts.push({ name: name.toLowerCase(), raw: m[0], ...(bar < 0 ? {} : { fallback: inner.slice(bar + 1).trim() }) });
    last = at + m[0].length;
  }
  text(last, template.length);
  return parts;
}

/** The placeholders of a template, once each; `required` when one of its uses has no default. */
export function templateVariables(template: string): { name: string; required: boolean }[] {
  const out = new Map<string, boolean>();
  for (const p of parseTemplate(template))
    if ('name' in p) out.set(p.name, (out.get(p.name) ?? false) || p.fallback === undefined);
  return [...out].map(([name, required]) => ({ name, required }));
}

/** Lower-cased keys; empty and whitespace-only values count as absent. */
export function normalizeVariables(vars: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' && v.trim() !== '') out[k.toLowerCase()] = v.trim();
  return out;
}

/**
 * Fills the placeholders. `strict` (default) throws MissingVariablesError naming every variable
 * without a value or default; otherwise such a placeholder becomes empty text.
 */
export function renderTemplate(
  template: string,
  variables: Record<string, string | null | undefined>,
  opts: { strict?: boolean } = {},
): string {
  const vars = normalizeVariables(variables);
  const missing = new Set<string>();
  const out = parseTemplate(template)
    .map((p) => {
      if ('text' in p) return p.text;
      const v = vars[p.name] ?? p.fallback;
      if (v === undefined) missing.add(p.name);
      return v ?? '';
    })
    .join('');
  if (missing.size && opts.strict !== false) throw new MissingVariablesError([...missing]);
  return out;
}
