import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { billplzSignature } from '../../providers/billplz/signature';
import { BILLPLZ_SIM_DEFAULTS } from '../../providers/billplz/settings';

/**
 * A loopback Billplz (API v3): bills endpoint with Billplz's basic auth and JSON shapes, a payment
 * page a person or a test can pay or abandon, and signed callbacks (form POST) and redirects
 * (`billplz[…]` query) as Billplz sends them. Faults: create failures, callbacks lost, duplicated or
 * delayed.
 */
export interface SimBill {
  id: string;
  collection_id: string;
  paid: boolean;
  state: 'due' | 'paid' | 'deleted';
  amount: number;
  paid_amount: number;
  due_at: string;
  email: string;
  mobile: string | null;
  name: string;
  url: string;
  reference_1_label: string | null;
  reference_1: string | null;
  redirect_url: string | null;
  callback_url: string;
  description: string;
  paid_at: string | null;
}

export interface PayOptions {
  /** deliver the callback this many times (0 = lost) */
  callbacks?: number;
  delayMs?: number;
}

export interface BillplzSim {
  url: string;
  bills: Map<string, SimBill>;
  callbackLog: { billId: string; status: number }[];
  faults: { createStatus?: number };
  /** Pays the bill as the payer would and delivers the callback; returns the signed redirect URL. */
  pay(billId: string, opts?: PayOptions): Promise<string | null>;
  abandon(billId: string): void;
  /** The fields and signature of a callback for `billId` as Billplz would send it now. */
  callbackFields(billId: string): Record<string, string>;
  redirectUrl(billId: string): string | null;
  env(): Record<string, string>;
  close(): Promise<void>;
}

const malaysiaTime = (d: Date) => {
  const t = new Date(d.getTime() + 8 * 3600_000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)} +0800`;
};

export async function startBillplzSim(
  opts: { port?: number; xSignatureKey?: string; apiKey?: string; collectionId?: string; autoPay?: PayOptions } = {},
): Promise<BillplzSim> {
  const apiKey = opts.apiKey ?? BILLPLZ_SIM_DEFAULTS.apiKey;
  const xKey = opts.xSignatureKey ?? BILLPLZ_SIM_DEFAULTS.xSignatureKey;
  const collection = opts.collectionId ?? BILLPLZ_SIM_DEFAULTS.collectionId;
  const bills = new Map<string, SimBill>();
  const callbackLog: BillplzSim['callbackLog'] = [];
  const faults: BillplzSim['faults'] = {};
  let base = '';

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, type: string, message: string) =>
    json(res, status, { error: { type, message: [message] } });
  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => resolve(b));
    });

  function callbackFields(billId: string): Record<string, string> {
    const b = bills.get(billId)!;
    const fields: Record<string, string> = {
      id: b.id,
      collection_id: b.collection_id,
      paid: String(b.paid),
      state: b.state,
      amount: String(b.amount),
      paid_amount: String(b.paid_amount),
      due_at: b.due_at,
      email: b.email,
      mobile: b.mobile ?? '',
      name: b.name,
      url: b.url,
      paid_at: b.paid_at ?? '',
    };
    return { ...fields, x_signature: billplzSignature(fields, xKey) };
  }

  function redirectUrl(billId: string): string | null {
    const b = bills.get(billId)!;
    if (!b.redirect_url) return null;
    const f: Record<string, string> = { billplzid: b.id, billplzpaid: String(b.paid), billplzpaid_at: b.paid_at ?? '' };
    const u = new URL(b.redirect_url);
    u.searchParams.set('billplz[id]', b.id);
    u.searchParams.set('billplz[paid]', String(b.paid));
    u.searchParams.set('billplz[paid_at]', b.paid_at ?? '');
    u.searchParams.set('billplz[x_signature]', billplzSignature(f, xKey));
    return u.toString();
  }

  async function deliver(billId: string, n: number, delayMs: number) {
    for (let i = 0; i < n; i++) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const b = bills.get(billId)!;
      try {
        const res = await fetch(b.callback_url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(callbackFields(billId)).toString(),
        });
        callbackLog.push({ billId, status: res.status });
      } catch {
        callbackLog.push({ billId, status: 0 });
      }
    }
  }

  async function pay(billId: string, p: PayOptions = {}) {
    const b = bills.get(billId);
    if (!b) throw new Error(`no bill ${billId}`);
    if (b.state === 'due') {
      b.paid = true;
      b.state = 'paid';
      b.paid_amount = b.amount;
      b.paid_at = malaysiaTime(new Date());
    }
    await deliver(billId, p.callbacks ?? 1, p.delayMs ?? 0);
    return redirectUrl(billId);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const authOk = () => {
      const h = req.headers.authorization ?? '';
      const m = /^Basic (.+)$/.exec(h);
      return !!m && Buffer.from(m[1]!, 'base64').toString() === `${apiKey}:`;
    };
    try {
      if (url.pathname === '/api/v3/bills' && req.method === 'POST') {
        if (!authOk()) return error(res, 401, 'Unauthorized', 'Access denied');
        if (faults.createStatus) return error(res, faults.createStatus, 'ServerError', 'simulated failure');
        const f = new URLSearchParams(await readBody(req));
        const amount = Number(f.get('amount'));
        if (f.get('collection_id') !== collection) return error(res, 404, 'RecordNotFound', 'Collection not found');
        if (!Number.isInteger(amount) || amount < 100)
          return error(res, 422, 'RecordInvalid', 'Amount must be greater than or equal to 100');
        if (!f.get('email') && !f.get('mobile')) return error(res, 422, 'RecordInvalid', 'Email or mobile is required');
        if (!f.get('callback_url') || !f.get('name') || !f.get('description'))
          return error(res, 422, 'RecordInvalid', 'name, description and callback_url are required');
        const id = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x');
        const bill: SimBill = {
          id,
          collection_id: collection,
          paid: false,
          state: 'due',
          amount,
          paid_amount: 0,
          due_at: f.get('due_at') ?? new Date().toISOString().slice(0, 10),
          email: f.get('email') ?? '',
          mobile: f.get('mobile'),
          name: f.get('name')!,
          url: `${base}/bills/${id}`,
          reference_1_label: f.get('reference_1_label'),
          reference_1: f.get('reference_1'),
          redirect_url: f.get('redirect_url'),
          callback_url: f.get('callback_url')!,
          description: f.get('description')!,
          paid_at: null,
        };
        bills.set(id, bill);
        json(res, 200, bill);
        if (opts.autoPay) void pay(id, opts.autoPay);
        return;
      }
      const billApi = /^\/api\/v3\/bills\/([\w-]+)$/.exec(url.pathname);
      if (billApi && req.method === 'GET') {
        if (!authOk()) return error(res, 401, 'Unauthorized', 'Access denied');
        const b = bills.get(billApi[1]!);
        return b ? json(res, 200, b) : error(res, 404, 'RecordNotFound', 'Bill not found');
      }
      const page = /^\/bills\/([\w-]+)(?:\/(pay|abandon))?$/.exec(url.pathname);
      if (page) {
        const b = bills.get(page[1]!);
        if (!b) return res.writeHead(404, { 'content-type': 'text/plain' }).end('bill not found');
        if (req.method === 'POST' && page[2] === 'pay') {
          const redirect = await pay(b.id);
          return res.writeHead(302, { location: redirect ?? `${base}/bills/${b.id}` }).end();
        }
        if (req.method === 'POST' && page[2] === 'abandon') {
          return res.writeHead(302, { location: redirectUrl(b.id) ?? `${base}/bills/${b.id}` }).end();
        }
        const rm = (b.amount / 100).toFixed(2);
        return res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            `<!doctype html><title>Billplz simulator</title><h1>Pay RM ${rm}</h1><p>${escapeHtml(b.description)}</p>` +
              `<p>Bill ${b.id}: ${b.state}</p>` +
              (b.state === 'due'
                ? `<form method="post" action="/bills/${b.id}/pay"><button>Pay RM ${rm}</button></form><form method="post" action="/bills/${b.id}/abandon"><button>Cancel</button></form>`
                : ''),
          );
      }
      error(res, 404, 'RecordNotFound', 'Not found');
    } catch (err) {
      error(res, 500, 'ServerError', (err as Error).message);
    }
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    bills,
    callbackLog,
    faults,
    pay,
    abandon: (id) => {
      const b = bills.get(id);
      if (b && b.state === 'due') b.state = 'deleted';
    },
    callbackFields,
    redirectUrl,
    env: () => ({ BILLPLZ_BASE_URL: base }),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function escapeHtml(s: string) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
