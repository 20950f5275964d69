import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Billplz X-Signature (API v3): for every field except the signature itself, the string
 * key + value; those strings sorted ascending, case-insensitively; joined with "|"; HMAC-SHA256
 * with the X-Signature key, hex. Redirect parameters arrive as `billplz[id]`, `billplz[paid]`, … and
 * are signed as `billplzid`, `billplzpaid`, … (the brackets dropped).
 */
export function billplzSignature(fields: Record<string, string>, xSignatureKey: string): string {
  const source = Object.entries(fields)
    .filter(([k]) => k !== 'x_signature')
    .map(([k, v]) => `${k}${v}`)
    .sort((a, b) => {
      const la = a.toLowerCase();
      const lb = b.toLowerCase();
      return la < lb ? -1 : la > lb ? 1 : 0;
    })
    .join('|');
  return createHmac('sha256', xSignatureKey).update(source).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A form callback: all string fields, x_signature among them. */
export function verifyBillplzCallback(body: Record<string, unknown>, xSignatureKey: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const s = asString(v);
    if (s === undefined) return undefined; // repeated or nested fields: not something Billplz sends
    fields[k] = s;
  }
  const given = fields.x_signature;
  if (!given) return undefined;
  return sameHex(billplzSignature(fields, xSignatureKey), given) ? fields : undefined;
}

export interface BillplzRedirect {
  id: string;
  paid: boolean;
  paidAt?: string;
}

/** The redirect's query (`billplz[id]`, `billplz[paid]`, `billplz[paid_at]`, `billplz[x_signature]`). */
export function verifyBillplzRedirect(query: Record<string, unknown>, xSignatureKey: string): BillplzRedirect | undefined {
  const fields: Record<string, string> = {};
  let given: string | undefined;
  for (const [k, v] of Object.entries(query)) {
    const m = /^billplz\[([a-z_]+)\]$/.exec(k);
    if (!m) continue;
    const s = asString(v);
    if (s === undefined) return undefined;
    if (m[1] === 'x_signature') given = s;
    else fields[`billplz${m[1]}`] = s;
  }
  if (!given || !fields.billplzid) return undefined;
  if (!sameHex(billplzSignature(fields, xSignatureKey), given)) return undefined;
  return { id: fields.billplzid, paid: fields.billplzpaid === 'true', paidAt: fields.billplzpaid_at };
}
