/** Paths of our Twilio webhooks (api/routes/twilio-webhooks.ts) and the per-call URLs the dialer gives Twilio. */
export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';
export const TWILIO_AMD_PATH = '/webhooks/twilio/amd';

/** The callId rides in the query string: Twilio keeps it on callback URLs and signs it with the rest. */
export const twilioCallbackUrl = (appOrigin: string, path: string, callId: string) =>
  `${appOrigin.replace(/\/+$/, '')}${path}?callId=${encodeURIComponent(callId)}`;
