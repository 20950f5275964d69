import express, { Router, type Request } from 'express';
import twilio from 'twilio';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { callWorkflowId } from '../../lib/ids';
import { twilioAuthToken } from '../../providers/twilio/settings';
import { TWILIO_AMD_PATH, TWILIO_STATUS_PATH } from '../../providers/twilio/callbacks';
import { telephonyStatusSignal, type TelephonyStatusEvent } from '../../workflows/call/contract';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Form = Record<string, string | string[] | undefined>;
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const int = (v: unknown) => {
  const s = str(v);
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
};

/**
 * Twilio status and asynchronous-AMD callbacks. Authenticated by X-Twilio-Signature over the public
 * URL (APP_ORIGIN + path + query) and the form fields; then forwarded to the call workflow as a
 * signal. Ordering and duplicates are the workflow's business (it ignores regressions), so a
 * replayed or late callback is harmless. A callback for a call whose workflow is gone is answered
 * 200: Twilio must not keep retrying it.
 */
export function twilioWebhooksRouter({ temporal, config, log }: AppDeps): Router {
  const r = Router();
  const authToken = twilioAuthToken(config);
  r.use([TWILIO_STATUS_PATH, TWILIO_AMD_PATH], express.urlencoded({ extended: false, limit: '64kb' }));

  const publicUrl = (req: Request) => {
    const origin = config.APP_ORIGIN ?? `${req.protocol}://${req.get('host')}`;
    return `${origin.replace(/\/+$/, '')}${req.originalUrl}`;
  };

  const verified = (req: Request): { callId: string; body: Form } => {
    const body = (req.body ?? {}) as Form;
    const signature = req.get('x-twilio-signature');
    if (!signature || !validSignature(authToken, signature, publicUrl(req), body)) {
      log.warn({ path: req.path }, 'twilio callback with a missing or bad signature rejected');
      throw new HttpError(403, 'bad_signature', 'X-Twilio-Signature does not match');
    }
    const callId = str(req.query.callId);
    if (!callId || !UUID.test(callId)) throw new HttpError(400, 'bad_request', 'callId query parameter missing or not a UUID');
    if (!str(body.CallSid)) throw new HttpError(400, 'bad_request', 'CallSid missing');
    return { callId, body };
  };

  const forward = async (callId: string, event: TelephonyStatusEvent) => {
    const logFields = {
      callId,
      callSid: event.callSid,
      status: event.status,
      seq: event.sequenceNumber,
      answeredBy: event.answeredBy,
    };
    try {
      await temporal.workflow.getHandle(callWorkflowId(callId)).signal(telephonyStatusSignal, event);
      log.info(logFields, 'twilio callback forwarded');
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        log.warn(logFields, 'twilio callback for a call workflow that is not running; ignored');
        return;
      }
      throw err;
    }
  };

  r.post(TWILIO_STATUS_PATH, async (req, res) => {
    const { callId, body } = verified(req);
    const status = str(body.CallStatus);
    if (!status) throw new HttpError(400, 'bad_request', 'CallStatus missing');
    await forward(callId, {
      callSid: str(body.CallSid)!,
      status,
      sequenceNumber: int(body.SequenceNumber),
      durationSec: int(body.CallDuration),
      answeredBy: str(body.AnsweredBy),
      at: timestamp(str(body.Timestamp)),
    });
    res.status(200).end();
  });

  // Async AMD posts no CallStatus: a detection result only exists for an answered call.
  r.post(TWILIO_AMD_PATH, async (req, res) => {
    const { callId, body } = verified(req);
    const answeredBy = str(body.AnsweredBy);
    if (!answeredBy) throw new HttpError(400, 'bad_request', 'AnsweredBy missing');
    await forward(callId, { callSid: str(body.CallSid)!, status: 'in-progress', answeredBy, at: new Date().toISOString() });
    res.status(200).end();
  });
  return r;
}

/**
 * The SDK's check (HMAC-SHA1, compared with timingSafeEqual). It falls back to `new URL(url)`,
 * which throws when APP_ORIGIN is unset and the caller sent a Host header no URL can hold: that is
 * a request we cannot verify, not a server error.
 */
function validSignature(authToken: string, signature: string, url: string, body: Form): boolean {
  try {
    return twilio.validateRequest(authToken, signature, url, body);
  } catch {
    return false;
  }
}

function timestamp(rfc2822: string | undefined): string {
  const d = rfc2822 ? new Date(rfc2822) : new Date();
  return Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString();
}
