import type { RequestHandler } from 'express';
import { HttpError } from './errors';

// NUL, or a UTF-16 surrogate without its partner: valid in a JS string (and in JSON as \u escapes)
// but storable in no Postgres text or jsonb column; either would surface as a 500 from the database.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The path of the first string (value or key) in `value` that Postgres could not store, or
 * undefined. Iterative, so a body nested 50,000 levels deep cannot overflow the stack.
 */
export function unstorableText(value: unknown, root = '(body)'): string | undefined {
  const join = (at: string, k: string | number) => (at === root ? String(k) : `${at}.${k}`);
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return at;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], join(at, i)]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return `${at} (a key)`;
        stack.push([x, join(at, k)]);
      }
    }
  }
  return undefined;
}

/** Refuses a request whose parsed body or query holds text the database cannot store. */
export const rejectUnstorableText: RequestHandler = (req, _res, next) => {
  const where = unstorableText(req.body) ?? unstorableText(req.query, '(query)');
  if (where) return next(new HttpError(400, 'invalid_text', `${where}: text must be valid Unicode without NUL characters`));
  next();
};
