import twilio from 'twilio';
import type { DialRequest, ProviderCall, Telephony } from '../types';
import { classifyTwilioError, isAlreadyEnded } from './errors';
import { TWILIO_API_ORIGIN, type TwilioSettings } from './settings';

type RequestOptions<T> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: T };

/**
 * The SDK's own extension point: every request goes through `httpClient.request`. Rewriting the
 * origin sends the real SDK (auth, form encoding, response parsing, RestException) to the simulator.
 */
function rewritingHttpClient(apiBase: string | undefined, timeoutMs: number) {
  // No SDK-level 429 retries: the dial activity's retry policy owns back-off, so retries are visible in history.
  const inner = new twilio.RequestClient({ timeout: timeoutMs, keepAlive: true, autoRetry: false });
  if (!apiBase || apiBase.replace(/\/+$/, '') === TWILIO_API_ORIGIN) return inner;
  const base = apiBase.replace(/\/+$/, '');
  return {
    request<T>(opts: RequestOptions<T>) {
      const uri = opts.uri.startsWith(TWILIO_API_ORIGIN) ? base + opts.uri.slice(TWILIO_API_ORIGIN.length) : opts.uri;
      return inner.request<T>({ ...opts, uri });
    },
  } as unknown as InstanceType<typeof twilio.RequestClient>;
}

/** Inline TwiML: connect the answered call to the media gateway; per-call data rides in <Parameter>s. */
export function streamTwiml(req: Pick<DialRequest, 'callId' | 'streamUrl' | 'streamToken'>): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({ url: req.streamUrl });
  stream.parameter({ name: 'callId', value: req.callId });
  stream.parameter({ name: 'token', value: req.streamToken });
  return response.toString();
}

export function createTwilioTelephony(settings: TwilioSettings, opts: { timeoutMs?: number } = {}): Telephony {
  const client = twilio(settings.accountSid, settings.authToken, {
    httpClient: rewritingHttpClient(settings.apiBase, opts.timeoutMs ?? 10_000),
  });

  return {
    async dial(req) {
      try {
        const call = await client.calls.create({
          to: req.to,
          from: req.from,
          twiml: streamTwiml(req),
          statusCallback: req.statusCallbackUrl,
          statusCallbackMethod: 'POST',
          // Each callback is a signal to the call workflow, a billed Temporal action: only what it acts on.
          statusCallbackEvent: ['answered', 'completed'],
          timeout: req.ringTimeoutSec,
          timeLimit: req.timeLimitSec,
          ...(req.machineDetection
            ? {
                machineDetection: req.machineDetectionMode ?? 'Enable',
                asyncAmd: 'true',
                ...(req.amdStatusCallbackUrl
                  ? { asyncAmdStatusCallback: req.amdStatusCallbackUrl, asyncAmdStatusCallbackMethod: 'POST' }
                  : {}),
              }
            : {}),
        });
        return { callSid: call.sid };
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },

    async hangup(callSid) {
      try {
        await client.calls(callSid).update({ status: 'completed' });
      } catch (err) {
        if (isAlreadyEnded(err)) return;
        throw classifyTwilioError(err);
      }
    },

    async fetchCall(callSid) {
      try {
        const c = await client.calls(callSid).fetch();
        const duration = c.duration === null || c.duration === undefined ? undefined : Number(c.duration);
        return {
          status: c.status,
          ...(duration !== undefined && Number.isFinite(duration) ? { durationSec: duration } : {}),
          ...(c.answeredBy ? { answeredBy: c.answeredBy } : {}),
        };
      } catch (err) {
        const e = err as { status?: unknown; code?: unknown };
        if (e?.status === 404 || e?.code === 20404) return null;
        throw classifyTwilioError(err);
      }
    },

    async findCalls({ to, from, createdAfter }) {
      try {
        // Not filtered by StartTime: a call still queued at Twilio has none yet. Twilio lists newest
        // first; date_created has whole seconds, hence the one second of slack.
        const calls = await client.calls.list({ to, from, limit: 20 });
        return calls
          .map((c): ProviderCall => ({ callSid: c.sid, to: c.to, from: c.from, status: c.status, createdAt: c.dateCreated }))
          .filter((c) => c.createdAt.getTime() >= createdAfter.getTime() - 1_000);
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}

/** TwiML that hands a live call to `to` (the agent's transfer). */
export function transferTwiml(to: string, callerId?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.dial(callerId ? { callerId } : {}, to);
  return response.toString();
}

/**
 * Live-call control for the media gateway: a transfer is a REST update of the call with new
 * TwiML, which ends the <Connect><Stream> (Twilio sends `stop`) and dials the colleague.
 */
export function createTwilioCallControl(settings: TwilioSettings, opts: { timeoutMs?: number } = {}) {
  const client = twilio(settings.accountSid, settings.authToken, {
    httpClient: rewritingHttpClient(settings.apiBase, opts.timeoutMs ?? 10_000),
  });
  return {
    async transfer(callSid: string, to: string): Promise<void> {
      if (!/^\+[1-9]\d{6,14}$/.test(to)) throw new Error('transfer number is not E.164');
      try {
        await client.calls(callSid).update({ twiml: transferTwiml(to, settings.fromNumber) });
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}
