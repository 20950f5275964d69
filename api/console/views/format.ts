import { maskPhone } from '../../../lib/logger';

/**
 * How the console writes numbers: credits in the account's credit currency (ledger micro-units),
 * top-ups in MYR (Billplz sen), times in UTC, phone numbers masked to their last four digits.
 */
const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string, digits: number): Intl.NumberFormat {
  const k = `${currency}:${digits}`;
  let f = moneyFormats.get(k);
  if (!f) {
    f = new Intl.NumberFormat(currency === 'MYR' ? 'en-MY' : 'en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormats.set(k, f);
  }
  return f;
}

/** Micro-units of `currency` (1,000,000 = 1.00). Balances to the cent; per-call figures with `digits` 4. */
export function credits(micro: number | null | undefined, currency = 'USD', digits = 2): string {
  if (micro === null || micro === undefined) return '—';
  return moneyFormat(currency, digits).format(Number(micro) / 1_000_000);
}

/** MYR sen, as Billplz bills them. */
export const myr = (sen: number) => moneyFormat('MYR', 2).format(Number(sen) / 100);

export const pct = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)}%`;
export const num = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined
    ? '—'
    : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** "2026-12-05 01:20:02 UTC" */
export function utc(d: Date | string | null | undefined): string {
  if (!d) return '—';
  const iso = (typeof d === 'string' ? new Date(d) : d).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export const phone = (e164: string | null | undefined, full = false) => (full ? (e164 ?? '') : maskPhone(e164));
export const label = (s: string) => s.replace(/_/g, ' ');
