import type { Config } from '../../lib/config';

/** Credentials the simulator accepts when Billplz is not configured; they open nothing else. */
export const BILLPLZ_SIM_DEFAULTS = {
  apiKey: 'sim-billplz-api-key',
  collectionId: 'simcoll1',
  xSignatureKey: 'sim-billplz-x-signature-key',
} as const;

export interface BillplzSettings {
  apiKey: string;
  collectionId: string;
  xSignatureKey: string;
  baseUrl: string;
}

type BillplzConfig = Pick<
  Config,
  'vendors' | 'BILLPLZ_API_KEY' | 'BILLPLZ_COLLECTION_ID' | 'BILLPLZ_X_SIGNATURE_KEY' | 'BILLPLZ_BASE_URL'
>;

/**
 * Live: the configured account. Sim: the simulator's fixed credentials, and BILLPLZ_BASE_URL must
 * point at the simulator (the dev stack and tests set it) — never at billplz.com.
 */
export function billplzSettings(config: BillplzConfig): BillplzSettings {
  if (config.vendors.billplz === 'live') {
    return {
      apiKey: config.BILLPLZ_API_KEY!,
      collectionId: config.BILLPLZ_COLLECTION_ID!,
      xSignatureKey: config.BILLPLZ_X_SIGNATURE_KEY!,
      baseUrl: config.BILLPLZ_BASE_URL,
    };
  }
  if (/billplz\.com/.test(config.BILLPLZ_BASE_URL)) {
    return { ...BILLPLZ_SIM_DEFAULTS, baseUrl: 'http://127.0.0.1:0/billplz-simulator-not-started' };
  }
  return { ...BILLPLZ_SIM_DEFAULTS, baseUrl: config.BILLPLZ_BASE_URL };
}
