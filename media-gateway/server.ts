import { loadConfig } from '../lib/config';
import { createSql } from '../lib/db';
import { journalObservedProviderErrors } from '../lib/provider-errors';
import { createLogger } from '../lib/logger';
import { connectTemporal } from '../lib/temporal';
import { mediaStreamUrl } from '../lib/media-stream';
import { createChatModel, createSpeechToText, createTextToSpeech } from '../providers';
import { createTwilioCallControl } from '../providers/twilio/adapter';
import { twilioSettings } from '../providers/twilio/settings';
import { DEFAULT_SETTINGS } from './conversation/session';
import { startMediaGateway } from './gateway';
import { temporalCallPort } from './signals/port';
import { recordingsFromConfig } from './recording/from-config';

/**
 * Media gateway process: Twilio Media Streams on MEDIA_GATEWAY_PORT (path /twilio/stream), with
 * /healthz and /metrics on the same port. Drains on SIGTERM (MediaGateway.drain): out of the load
 * balancer first, live calls go on up to MEDIA_DRAIN_LIMIT_SEC, and every call still live then gets
 * mediaEnded with its transcript and final usage before the process exits.
 */
const config = loadConfig();
const log = createLogger('media-gateway', config.LOG_LEVEL);
if (!config.MEDIA_TOKEN_SECRET) {
  log.fatal('MEDIA_TOKEN_SECRET is unset: the gateway cannot verify media streams (share it with the dialer worker)');
  process.exit(1);
}

const temporal = await connectTemporal(config);
// Only for the provider-burst alert: vendor faults seen mid-call are journalled like the dialer's.
const sql = createSql(config.DATABASE_URL, { max: 2, debugName: 'aicall-media-gateway' });
journalObservedProviderErrors(sql, log);
let transfer;
try {
  transfer = createTwilioCallControl(twilioSettings(config));
} catch (err) {
  log.warn({ err: (err as Error).message }, 'no Twilio configuration: transfer_call is unavailable');
}
const gateway = await startMediaGateway({
  deps: {
    stt: createSpeechToText(config, { maxHoldMs: config.MEDIA_STT_MAX_HOLD_MS }),
    llm: createChatModel(config),
    tts: createTextToSpeech(config),
    port: temporalCallPort(temporal),
    transfer,
    log,
    settings: {
      ...DEFAULT_SETTINGS,
      segmentationSilenceMs: config.MEDIA_STT_SEGMENTATION_SILENCE_MS,
      firstTokenTimeoutMs: config.MEDIA_LLM_FIRST_TOKEN_TIMEOUT_MS,
      defaultSilenceTimeoutSec: config.MEDIA_SILENCE_TIMEOUT_SEC,
      optOutDigit: config.MEDIA_OPT_OUT_DIGIT,
    },
  },
  mediaTokenSecret: config.MEDIA_TOKEN_SECRET,
  // Twilio signs the WebSocket handshake; the simulator does not, so only a live account is checked.
  twilioAuthToken: config.vendors.twilio === 'live' ? config.TWILIO_AUTH_TOKEN : undefined,
  publicUrl: config.MEDIA_PUBLIC_URL ? mediaStreamUrl(config.MEDIA_PUBLIC_URL) : undefined,
  port: config.MEDIA_GATEWAY_PORT,
  host: '0.0.0.0',
  log,
  recordings: recordingsFromConfig(config, sql, log),
});
log.info({ port: gateway.port }, 'media gateway listening');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const r = await gateway.drain({
    healthDelayMs: config.DRAIN_HEALTH_DELAY_MS,
    limitMs: config.MEDIA_DRAIN_LIMIT_SEC * 1000,
    graceMs: 10_000,
  });
  log.info(r, 'media gateway drained');
  await Promise.allSettled([temporal.connection.close(), sql.end({ timeout: 5 })]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
