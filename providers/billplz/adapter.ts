import type { Bill, CreateBillRequest, PaymentGateway } from '../types';
import type { BillplzSettings } from './settings';

export class BillplzError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'BillplzError';
  }
  /** 4xx (bad request, auth) will not succeed on retry; 429 and 5xx may. */
  get retryable() {
    return this.status === 429 || this.status >= 500;
  }
}

/**
 * Billplz API v3 over fetch (no SDK is maintained for Node; the API is two plain calls).
 * Basic auth with the API secret key as the user name and an empty password.
 */
export function createBillplzGateway(s: BillplzSettings, opts: { timeoutMs?: number } = {}): PaymentGateway {
  const auth = `Basic ${Buffer.from(`${s.apiKey}:`).toString('base64')}`;
  const base = s.baseUrl.replace(/\/+$/, '');
  const request = async (method: string, path: string, form?: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = json?.error;
      const msg = Array.isArray(e?.message) ? e.message.join('; ') : (e?.message ?? text.slice(0, 200));
      throw new BillplzError(res.status, e?.type ?? 'HttpError', `Billplz ${method} ${path}: ${res.status} ${msg}`);
    }
    return json;
  };
  return {
    async createBill(req: CreateBillRequest): Promise<Bill> {
      const form: Record<string, string> = {
        collection_id: s.collectionId,
        name: req.name,
        amount: String(req.amountSen),
        callback_url: req.callbackUrl,
        redirect_url: req.redirectUrl,
        description: req.description.slice(0, 200),
        reference_1_label: 'Top-up',
        reference_1: req.topUpId,
      };
      if (req.email) form.email = req.email;
      if (req.mobile) form.mobile = req.mobile;
      if (req.dueAt) form.due_at = req.dueAt;
      if (!req.email && !req.mobile)
        throw new BillplzError(422, 'RecordInvalid', 'Billplz needs an email or a mobile number for a bill');
      const bill = await request('POST', '/api/v3/bills', form);
      return { billId: bill.id, url: bill.url, state: bill.state, paid: bill.paid };
    },
    async getBill(id: string) {
      const bill = await request('GET', `/api/v3/bills/${encodeURIComponent(id)}`);
      return {
        billId: bill.id,
        url: bill.url,
        state: bill.state,
        paid: bill.paid,
        amountSen: Number(bill.amount),
        ...(bill.paid_at ? { paidAt: String(bill.paid_at) } : {}),
      };
    },
  };
}
