import type { Config } from '../../lib/config';

export const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/**
 * Credentials the simulator accepts when no real Twilio account is configured. Not secrets: they
 * only open the loopback simulator, and live mode ignores them.
 */
export const TWILIO_SIM_DEFAULTS = {
  accountSid: 'AC00000000000000000000000000000000',
  authToken: 'sim-twilio-auth-token',
  fromNumber: '+15005550006',
} as const;

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  fromNumber: string;
  /** Origin the SDK's requests are rewritten to; undefined means the real api.twilio.com. */
  apiBase?: string;
}

/**
 * Live: the configured account (TWILIO_API_BASE still honoured, e.g. for a regional edge).
 * Sim: the simulator's fixed credentials, and TWILIO_API_BASE is required — without it the SDK
 * would send the simulator's credentials to the real Twilio.
 */
export function twilioSettings(
  config: Pick<Config, 'vendors' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_FROM_NUMBER' | 'TWILIO_API_BASE'>,
): TwilioSettings {
  if (config.vendors.twilio === 'live') {
    return {
      accountSid: config.TWILIO_ACCOUNT_SID!,
      authToken: config.TWILIO_AUTH_TOKEN!,
      fromNumber: config.TWILIO_FROM_NUMBER!,
      apiBase: config.TWILIO_API_BASE,
    };
  }
  if (!config.TWILIO_API_BASE) {
    throw new Error(
      'Twilio runs against its simulator (no TWILIO_* credentials) but TWILIO_API_BASE is unset: start sim/twilio or configure Twilio',
    );
  }
  return { ...TWILIO_SIM_DEFAULTS, apiBase: config.TWILIO_API_BASE };
}

/** The token status callbacks are signed with: the live account's, or the simulator's. */
export function twilioAuthToken(config: Pick<Config, 'vendors' | 'TWILIO_AUTH_TOKEN'>): string {
  return config.vendors.twilio === 'live' ? config.TWILIO_AUTH_TOKEN! : TWILIO_SIM_DEFAULTS.authToken;
}
