import { z } from 'zod';
import { loadPriceList } from './pricing/load';

/**
 * The one place that reads the environment. Every process calls loadConfig() at start-up and
 * fails fast with a message naming the variable at fault.
 *
 * Vendors: a vendor whose variables are all unset runs against its loopback simulator
 * (`mode: 'sim'`); all set means the real vendor (`mode: 'live'`); some but not all set is a
 * start-up error naming what is missing — half a credential is always a mistake.
 */

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = z.preprocess(emptyToUndefined, z.string().optional());
const port = (def: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(def));
const int = (def: number, min = 0) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).default(def));
const url = (def: string) => z.preprocess(emptyToUndefined, z.string().url().default(def));

export const VENDORS = {
  twilio: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
  azure: ['AZURE_SPEECH_KEY', 'AZURE_SPEECH_REGION'],
  openrouter: ['OPENROUTER_API_KEY'],
  elevenlabs: ['ELEVENLABS_API_KEY'],
  billplz: ['BILLPLZ_API_KEY', 'BILLPLZ_COLLECTION_ID', 'BILLPLZ_X_SIGNATURE_KEY'],
} as const;
export type Vendor = keyof typeof VENDORS;

const EnvSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'test', 'production']).default('development')),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  DATABASE_URL: url('postgres://postgres@127.0.0.1:5432/aicall'),
  TEMPORAL_ADDRESS: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1:7233')),
  TEMPORAL_NAMESPACE: z.preprocess(emptyToUndefined, z.string().default('default')),
  /** Temporal TLS and auth (lib/temporal.ts), named as Temporal's own client environment configuration. */
  TEMPORAL_API_KEY: opt,
  TEMPORAL_TLS: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).optional()),
  TEMPORAL_TLS_CLIENT_CERT_PATH: opt,
  TEMPORAL_TLS_CLIENT_CERT_DATA: opt,
  TEMPORAL_TLS_CLIENT_KEY_PATH: opt,
  TEMPORAL_TLS_CLIENT_KEY_DATA: opt,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: opt,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: opt,
  TEMPORAL_TLS_SERVER_NAME: opt,
  /** Task queue of the orchestrator worker (workflows and their activities). */
  ORCHESTRATION_TASK_QUEUE: z.preprocess(emptyToUndefined, z.string().default('orchestration')),
  /** Task queue of the rate-limited dialer worker. */
  DIALER_TASK_QUEUE: z.preprocess(emptyToUndefined, z.string().default('dialer')),
  TEMPORAL_UI_PORT: port(8233),
  /** Temporal Web UI base URL the console links calls to (default http://localhost:TEMPORAL_UI_PORT). */
  TEMPORAL_UI_URL: opt,
  API_PORT: port(3000),
  MEDIA_GATEWAY_PORT: port(3001),
  WORKER_METRICS_PORT: port(9464),
  /** The dialer worker serves /metrics here when set (it is often a separate process from the orchestrator). */
  DIALER_METRICS_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
  /** Public origin of the API as Twilio and Billplz see it (webhooks, status callbacks). */
  APP_ORIGIN: opt,
  /** Public wss:// origin of the media gateway as Twilio sees it. */
  MEDIA_PUBLIC_URL: opt,
  ADMIN_API_KEY: opt,
  /** Secret for per-call media-stream tokens (HMAC). Generated per process in dev if unset. */
  MEDIA_TOKEN_SECRET: opt,
  MEDIA_TOKEN_TTL_SEC: int(900, 30),
  /** Media gateway: silence that ends the caller's phrase (STT segmentation); shorter = faster turns, more cut-offs. */
  MEDIA_STT_SEGMENTATION_SILENCE_MS: int(300, 100),
  /** Media gateway: the most caller audio gathered into one message to Azure while nothing waits on its transcript, ms (0 = every 20 ms frame alone: ~5× the STT messages and CPU). */
  MEDIA_STT_MAX_HOLD_MS: int(200, 0),
  /** Media gateway: a model with no first token by then is abandoned for the next fallback model. */
  MEDIA_LLM_FIRST_TOKEN_TIMEOUT_MS: int(5_000, 500),
  /** Media gateway: silence before the agent re-prompts (then ends the call), unless the campaign sets its own. */
  MEDIA_SILENCE_TIMEOUT_SEC: int(10, 2),
  /** Media gateway: a keypad entry of exactly this key asks not to be called again (outcome opt_out); unset = no key. */
  MEDIA_OPT_OUT_DIGIT: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[0-9*]$/, 'one key: 0-9 or *')
      .optional(),
  ),
  /** Drain on SIGTERM: how long a process keeps serving while saying "draining" on /healthz, so the load balancer takes it out before it stops accepting (≥ 2 health-check intervals). */
  DRAIN_HEALTH_DELAY_MS: int(2_500, 0),
  /** Drain on SIGTERM: how long the API waits for requests in flight before closing their connections. */
  API_DRAIN_TIMEOUT_MS: int(15_000, 0),
  /** Drain on SIGTERM: the longest a media gateway lets live calls go on before ending them (transcript and usage signalled). */
  MEDIA_DRAIN_LIMIT_SEC: int(30, 0),
  DIALER_CALLS_PER_SECOND: z.preprocess(emptyToUndefined, z.coerce.number().positive().default(1)),
  TWILIO_ACCOUNT_SID: opt,
  TWILIO_AUTH_TOKEN: opt,
  TWILIO_FROM_NUMBER: opt,
  TWILIO_API_BASE: opt,
  AZURE_SPEECH_KEY: opt,
  AZURE_SPEECH_REGION: opt,
  AZURE_SPEECH_ENDPOINT: opt,
  OPENROUTER_API_KEY: opt,
  OPENROUTER_BASE_URL: url('https://openrouter.ai/api/v1'),
  ELEVENLABS_API_KEY: opt,
  ELEVENLABS_BASE_URL: url('https://api.elevenlabs.io'),
  BILLPLZ_API_KEY: opt,
  BILLPLZ_COLLECTION_ID: opt,
  BILLPLZ_X_SIGNATURE_KEY: opt,
  BILLPLZ_BASE_URL: url('https://www.billplz.com'),
  TOPUP_MIN_SEN: int(1000, 1),
  TOPUP_MAX_SEN: int(10_000_000, 1),
  /** Credit micro-units granted per MYR sen, stored on each top-up when it is created. */
  TOPUP_MICRO_PER_SEN: int(2_250, 1),
  /** How long a top-up's bill stays payable before it expires. */
  TOPUP_TTL_SEC: int(86_400, 1),
  LOW_BALANCE_THRESHOLD_MICRO: int(10_000_000),
  ALERT_WEBHOOK_URL: opt,
  /** Per API key: sustained requests per second and burst. */
  API_RATE_LIMIT_PER_SEC: int(20, 1),
  API_RATE_LIMIT_BURST: int(60, 1),
  /** Overrides of the default price list (lib/pricing), JSON; e.g. {"chargeMicroPerMinute":250000}. */
  PRICE_LIST_JSON: opt,
  /** Development only: let webhook endpoints be on loopback, private or link-local addresses (SSRF guard off). */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0'])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
  ),
  /** A webhook endpoint whose every delivery failed for this many hours is disabled and raises an alert. */
  WEBHOOK_DISABLE_AFTER_HOURS: int(120, 1),
  /** Call recordings: the local store's directory, and the gateway's spool while a call is recorded; `off` records nothing. */
  RECORDINGS_DIR: z.preprocess(emptyToUndefined, z.string().default('.data/call-recordings')),
  /** Set to keep recordings in an S3-compatible bucket (AWS, MinIO, R2) instead of RECORDINGS_DIR. */
  RECORDINGS_S3_BUCKET: opt,
  RECORDINGS_S3_ENDPOINT: opt,
  RECORDINGS_S3_REGION: z.preprocess(emptyToUndefined, z.string().default('us-east-1')),
  /** `true` for path-style URLs (MinIO, moto); AWS and R2 take virtual-hosted style. */
  RECORDINGS_S3_FORCE_PATH_STYLE: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
  RECORDINGS_S3_ACCESS_KEY_ID: opt,
  RECORDINGS_S3_SECRET_ACCESS_KEY: opt,
  RECORDINGS_S3_PREFIX: opt,
  /** How often the retention Schedule deletes recordings older than their account's retention. */
  RECORDINGS_RETENTION_EVERY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+ (minutes?|hours?|days?)$/, 'must be like "1 hour"')
      .default('1 hour'),
  ),
});

export type Env = z.infer<typeof EnvSchema>;
/** Every variable the config reads (documented in .env.example; a test keeps the two in step). */
export const ENV_KEYS = Object.keys(EnvSchema.shape);
export type VendorMode = 'live' | 'sim';
export type Config = Env & { vendors: Record<Vendor, VendorMode> };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const vendors = {} as Record<Vendor, VendorMode>;
  for (const [vendor, vars] of Object.entries(VENDORS) as [Vendor, readonly string[]][]) {
    const set = vars.filter((v) => parsed.data[v as keyof Env] !== undefined);
    if (set.length === 0) vendors[vendor] = 'sim';
    else if (set.length === vars.length) vendors[vendor] = 'live';
    else {
      const missing = vars.filter((v) => !set.includes(v));
      throw new ConfigError(
        `${vendor} is half-configured: ${set.join(', ')} set but ${missing.join(', ')} missing. ` +
          `Set all of ${vars.join(', ')} to use the real ${vendor}, or none to use its simulator.`,
      );
    }
  }
  // A bad price list must stop the process at start-up, not fail the first call's settlement.
  try {
    loadPriceList(parsed.data.PRICE_LIST_JSON);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ${(err as Error).message}`);
  }
  return { ...parsed.data, vendors };
}
