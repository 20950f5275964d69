import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db';
import { DEFAULT_PRICES, type PriceList, type PriceListInput } from './price-list';

const rate = z.number().int().nonnegative();
const PriceListSchema = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/),
    sttMicroPerAudioHour: rate,
    llmMicroPerMillionTokens: rate,
    ttsMicroPerThousandChars: rate,
    telephonyMicroPerMinute: rate,
    telephonyIncrementSec: z.number().int().positive(),
    amdMicroPerCall: rate,
    chargeMicroPerMinute: rate,
    billingIncrementSec: z.number().int().positive(),
    minimumBilledSec: z.number().int().nonnegative(),
  })
  .strict();

/** The version is a hash of the content: the same prices always have the same version. */
export function priceListVersion(p: PriceListInput): string {
  const canonical = JSON.stringify(
    Object.keys(p)
      .sort()
      .map((k) => [k, p[k as keyof PriceListInput]]),
  );
  return `pl_${createHash('sha256').update(canonical).digest('hex').slice(0, 12)}`;
}

/** Defaults overridden by PRICE_LIST_JSON (any subset of the fields), validated. */
export function loadPriceList(json: string | undefined): PriceList {
  let overrides: unknown = {};
  if (json) {
    try {
      overrides = JSON.parse(json);
    } catch (err) {
      throw new Error(`PRICE_LIST_JSON is not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = PriceListSchema.safeParse({ ...DEFAULT_PRICES, ...(overrides as object) });
  if (!parsed.success)
    throw new Error(`PRICE_LIST_JSON: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { ...parsed.data, version: priceListVersion(parsed.data) };
}

/** The design's default prices with their version: what runs when PRICE_LIST_JSON is unset. */
export const defaultPriceList: PriceList = loadPriceList(undefined);

/** Records the list under its version (idempotent), so each call's costs can point at it. */
export async function storePriceList(sql: Sql, p: PriceList): Promise<void> {
  const { version, ...prices } = p;
  await sql`insert into price_lists (version, prices) values (${version}, ${sql.json(prices)}) on conflict (version) do nothing`;
}
