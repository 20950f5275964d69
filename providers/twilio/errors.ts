/**
 * Twilio REST failures sorted by what the caller should do about them. Twilio answers errors with
 * `{code, message, more_info, status}`; the SDK turns that into a RestException carrying `status`
 * and `code`. Codes from https://www.twilio.com/docs/api/errors.
 */
export type TelephonyErrorKind =
  /** The destination is not a callable number: final, the number is bad. */
  | 'invalid_number'
  /** The account may not call this destination (geo permissions, blocklist): final for this call. */
  | 'destination_blocked'
  /** Credentials, suspended account, unverified caller id: final, and every other call fails too. */
  | 'account'
  /** 429: retry with back-off. */
  | 'rate_limited'
  /** 5xx, network errors, timeouts: retry with back-off. */
  | 'unavailable'
  /** Any other 4xx: our request is wrong; retrying sends the same wrong request. */
  | 'rejected';

const INVALID_NUMBER = new Set([
  21211, // Invalid 'To' Phone Number
  21214, // 'To' phone number cannot be reached
  21217, // Phone number does not appear to be valid
  13223, // Dial: invalid phone number format
  13224, // Dial: invalid phone number
]);
const DESTINATION_BLOCKED = new Set([
  21215, // Geo permission configuration is not permitting call
  21216, // Call blocked by Twilio blocklist
  13227, // No international authorization
  32205, // Dialing a premium/blocked destination
]);
const ACCOUNT = new Set([
  20003, // Authentication failed
  20005, // Account not active
  20008, // Resource not accessible with test account credentials
  10001, // Account is not active
  21210, // 'From' phone number not verified
  21212, // Invalid 'From' phone number
  21219, // 'To' phone number not verified (trial account)
]);

export class TelephonyError extends Error {
  override name = 'TelephonyError';
  constructor(
    readonly kind: TelephonyErrorKind,
    message: string,
    readonly httpStatus?: number,
    readonly code?: number,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}

/** Classifies anything the SDK throws (RestException, axios/network errors) into a TelephonyError. */
export function classifyTwilioError(err: unknown): TelephonyError {
  if (err instanceof TelephonyError) return err;
  const e = err as { status?: unknown; code?: unknown; message?: unknown };
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const message = `twilio: ${typeof e?.message === 'string' ? e.message : String(err)}${code ? ` (code ${code})` : ''}`;
  if (status === undefined) return new TelephonyError('unavailable', message, undefined, code);
  if (code !== undefined && INVALID_NUMBER.has(code)) return new TelephonyError('invalid_number', message, status, code);
  if (code !== undefined && DESTINATION_BLOCKED.has(code))
    return new TelephonyError('destination_blocked', message, status, code);
  if (code !== undefined && ACCOUNT.has(code)) return new TelephonyError('account', message, status, code);
  if (status === 429 || code === 20429) return new TelephonyError('rate_limited', message, status, code);
  if (status >= 500) return new TelephonyError('unavailable', message, status, code);
  if (status === 401 || status === 403) return new TelephonyError('account', message, status, code);
  return new TelephonyError('rejected', message, status, code);
}

/** Hanging up a call that already ended is success: the call is down either way. */
export function isAlreadyEnded(err: unknown): boolean {
  const e = err as { status?: unknown; code?: unknown };
  return e?.code === 21220 /* call not in-progress */ || e?.status === 404 || e?.code === 20404;
}
