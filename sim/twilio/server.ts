import http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { behaviorFor, noFaults, type CalleeBehavior, type Faults, type Scenario } from './scenario';
import { parseTwiml } from './twiml';
import { TWILIO_SIM_DEFAULTS } from '../../providers/twilio/settings';
import { handleAdmin, ADMIN_PREFIX } from './admin';
import { createCallee, type CalleeOptions, type MediaSession, type PersonaSpec } from '../callee';
import { PERSONAS, type PersonaStep } from '../callee/persona';
import { speechDurationMs } from '../audio/speech';

/**
 * Twilio's DetectMessageEnd posts `machine_end_beep` once the machine's greeting is over and its
 * beep has sounded. The default follows the greeting the simulated machine actually plays
 * (PERSONAS.voicemail_greeting, from the stream's start) plus a beep, so the verdict never comes
 * while the greeting is still playing.
 */
const BEEP_MS = 500;
export const MACHINE_GREETING_MS = Math.ceil(stepsMs(PERSONAS.voicemail_greeting)) + BEEP_MS;

function stepsMs(steps: PersonaStep[]): number {
  let ms = 0;
  for (const s of steps) {
    if ('say' in s) ms += (typeof s.after === 'object' ? s.after.ms : 0) + speechDurationMs(s.say);
    else if ('silence' in s && typeof s.silence === 'object') ms += s.silence.ms;
  }
  return ms;
}

/**
 * A loopback Twilio: the subset of the REST API our adapter uses (create, update, fetch and list
 * calls), Twilio's basic auth and JSON shapes, and a simulated callee that produces signed status
 * callbacks and, once answered, hands the call's <Stream> to a pluggable media hook.
 */

export interface AnsweredCall {
  callSid: string;
  accountSid: string;
  streamUrl: string;
  parameters: Record<string, string>;
  to: string;
  from: string;
  /** Aborted when the call ends for another reason: send `stop` and close. The reason (a string) says
   * why: `rest` (hung up through the API), `callee` (scenario hang-up), `time_limit`, `sim_closed`. */
  signal: AbortSignal;
  /** The scenario's persona for this number, if any (sim/callee/persona.ts). */
  persona?: PersonaSpec;
}

/**
 * Plugged in by whoever speaks Media Streams (the simulated callee, sim/callee, with the `callee` option). Resolves when the
 * media session has ended; `{ hangup: true }` (or a plain resolve) ends the call, as TwiML with
 * nothing after <Connect> does. `{ hangup: false }` keeps the call up (e.g. after a transfer).
 */
export type OnAnswered = (call: AnsweredCall) => Promise<{ hangup?: boolean } | void>;

export interface CreateLogEntry {
  at: Date;
  to: string;
  from: string;
  params: Record<string, string | string[]>;
  outcome: 'created' | 'error' | 'response_dropped';
  callSid?: string;
  status?: number;
}

export interface CallbackLogEntry {
  callSid: string;
  url: string;
  params: Record<string, string>;
  delivered: boolean;
  httpStatus?: number;
  kind: 'status' | 'amd';
}

export interface SimCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: string;
  createdAt: Date;
  startAt?: Date;
  answeredAt?: Date;
  endedAt?: Date;
  answeredBy?: string;
  duration?: number;
  params: Record<string, string | string[]>;
  events: Set<string>;
  seq: number;
  timers: NodeJS.Timeout[];
  media?: AbortController;
  held: { url: string; params: Record<string, string> }[];
  /** TwiML the call was redirected to by a REST update (e.g. a transfer's <Dial>). */
  redirects: string[];
  /** The number a redirect's <Dial> connected the call to. */
  transferredTo?: string;
}

export interface TwilioSimOptions {
  port?: number;
  host?: string;
  accountSid?: string;
  authToken?: string;
  scenario?: Scenario;
  onAnswered?: OnAnswered;
  /**
   * Answer media streams with the simulated callee (sim/callee): a Twilio Media Streams client
   * driven by each number's persona. Ignored when `onAnswered` is given.
   */
  callee?: boolean | CalleeOptions;
  /** Delay between `initiated` and `ringing`. */
  ringDelayMs?: number;
  /** After a transfer (update with <Dial> TwiML), how long the transferred leg talks before it ends (default 1000). */
  transferTalkMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface TwilioSim {
  url: string;
  port: number;
  accountSid: string;
  authToken: string;
  scenario: Scenario;
  faults: Faults;
  onAnswered?: OnAnswered;
  /** The simulated callee's media sessions by CallSid (empty unless the `callee` option is on). */
  readonly mediaSessions: Map<string, MediaSession>;
  /** Every create-call request, including failed ones: proves how many times a number was dialed. */
  readonly createLog: CreateLogEntry[];
  readonly callbackLog: CallbackLogEntry[];
  creates(to?: string): CreateLogEntry[];
  call(sid: string): Readonly<SimCall> | undefined;
  calls(): Readonly<SimCall>[];
  /** Resolves when the call has reached a final status and its final callback was attempted. */
  waitForEnd(sid: string, timeoutMs?: number): Promise<Readonly<SimCall>>;
  /** Environment that points the adapter at this simulator. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

async function readForm(req: http.IncomingMessage): Promise<Record<string, string | string[]>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const sp = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(sp.keys())) {
    const all = sp.getAll(key);
    out[key] = all.length > 1 ? all : all[0]!;
  }
  return out;
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export async function startTwilioSim(opts: TwilioSimOptions = {}): Promise<TwilioSim> {
  const accountSid = opts.accountSid ?? TWILIO_SIM_DEFAULTS.accountSid;
  const authToken = opts.authToken ?? TWILIO_SIM_DEFAULTS.authToken;
  const ringDelayMs = opts.ringDelayMs ?? 20;
  const log = opts.log ?? (() => {});
  const calls = new Map<string, SimCall>();
  const ended = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const createLog: CreateLogEntry[] = [];
  const callbackLog: CallbackLogEntry[] = [];
  const inflight = new Set<Promise<unknown>>();
  let closed = false;

  const endSignal = (sid: string) => {
    let e = ended.get(sid);
    if (!e) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      e = { promise, resolve };
      ended.set(sid, e);
    }
    return e;
  };

  const resource = (c: SimCall) => ({
    sid: c.sid,
    account_sid: c.accountSid,
    date_created: rfc2822(c.createdAt),
    date_updated: rfc2822(c.endedAt ?? c.answeredAt ?? c.createdAt),
    parent_call_sid: null,
    to: c.to,
    to_formatted: c.to,
    from: c.from,
    from_formatted: c.from,
    phone_number_sid: null,
    status: c.status,
    start_time: c.startAt ? rfc2822(c.startAt) : null,
    end_time: c.endedAt ? rfc2822(c.endedAt) : null,
    duration: c.duration !== undefined ? String(c.duration) : null,
    price: null,
    price_unit: 'USD',
    direction: 'outbound-api',
    answered_by: c.answeredBy ?? null,
    api_version: '2010-04-01',
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    uri: `/2010-04-01/Accounts/${c.accountSid}/Calls/${c.sid}.json`,
    subresource_uris: {},
  });

  async function post(c: SimCall, url: string, params: Record<string, string>, kind: 'status' | 'amd') {
    const entry: CallbackLogEntry = { callSid: c.sid, url, params, delivered: false, kind };
    callbackLog.push(entry);
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    const p = fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'i-twilio-idempotency-token': randomBytes(8).toString('hex'),
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(15_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        entry.httpStatus = res.status;
        entry.delivered = res.ok;
      })
      .catch((err) => log('callback delivery failed', { callSid: c.sid, error: (err as Error).message }));
    inflight.add(p);
    await p;
    inflight.delete(p);
  }

  /** A status callback for the current state of `c`, if its event class was subscribed. */
  async function statusCallback(c: SimCall, event: 'initiated' | 'ringing' | 'answered' | 'completed') {
    const url = one(c.params.StatusCallback);
    if (!url || closed) return;
    if (!c.events.has(event) && event !== 'completed') return;
    const params: Record<string, string> = {
      AccountSid: c.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: c.sid,
      CallStatus: c.status,
      Called: c.to,
      Caller: c.from,
      Direction: 'outbound-api',
      From: c.from,
      To: c.to,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(c.seq++),
      Timestamp: rfc2822(new Date()),
    };
    if (c.answeredBy) params.AnsweredBy = c.answeredBy;
    if (FINAL.has(c.status)) {
      params.CallDuration = String(c.duration ?? 0);
      params.Duration = String(Math.ceil((c.duration ?? 0) / 60));
    }
    const faults = sim.faults;
    if (faults.dropStatuses.includes(c.status)) {
      callbackLog.push({ callSid: c.sid, url, params, delivered: false, kind: 'status' });
      return;
    }
    if (faults.reverseCallbacks) {
      c.held.push({ url, params });
      if (!FINAL.has(c.status)) return;
      const batch = c.held.splice(0).reverse();
      for (const cb of batch) await post(c, cb.url, cb.params, 'status');
      return;
    }
    await post(c, url, params, 'status');
    if (faults.duplicateCallbacks) await post(c, url, params, 'status');
  }

  function later(c: SimCall, ms: number, fn: () => void | Promise<void>) {
    const t = setTimeout(() => void fn(), ms);
    c.timers.push(t);
  }

  async function finish(c: SimCall, status: string, why = 'callee') {
    if (FINAL.has(c.status)) return;
    for (const t of c.timers) clearTimeout(t);
    c.timers = [];
    c.endedAt = new Date();
    c.status = status;
    c.duration = c.answeredAt ? Math.ceil((c.endedAt.getTime() - c.answeredAt.getTime()) / 1000) : 0;
    c.media?.abort(why);
    log('call ended', { callSid: c.sid, status, duration: c.duration });
    try {
      await statusCallback(c, 'completed');
    } finally {
      endSignal(c.sid).resolve();
    }
  }

  async function answer(c: SimCall, b: Extract<CalleeBehavior, { kind: 'answer' | 'voicemail' }>) {
    if (FINAL.has(c.status)) return;
    c.status = 'in-progress';
    c.answeredAt = new Date();
    const amdUrl = one(c.params.AsyncAmdStatusCallback);
    const amdMode = one(c.params.MachineDetection);
    const hangupAfter = b.kind === 'answer' ? b.hangupAfterMs : (b.hangupAfterMs ?? 30_000);
    if (hangupAfter !== undefined) later(c, hangupAfter, () => finish(c, 'completed', 'callee'));
    if (amdMode) {
      const isMachine = b.kind === 'voicemail';
      const delay = isMachine
        ? amdMode === 'DetectMessageEnd'
          ? (b.greetingMs ?? MACHINE_GREETING_MS)
          : (b.detectMs ?? 100)
        : 100;
      later(c, delay, async () => {
        if (FINAL.has(c.status)) return;
        c.answeredBy = !isMachine ? 'human' : amdMode === 'DetectMessageEnd' ? 'machine_end_beep' : 'machine_start';
        if (amdUrl && !closed) {
          await post(
            c,
            amdUrl,
            { AccountSid: c.accountSid, CallSid: c.sid, AnsweredBy: c.answeredBy, MachineDetectionDuration: String(delay) },
            'amd',
          );
        }
      });
    }
    await statusCallback(c, 'answered');
    startMedia(c, b);
  }

  function startMedia(c: SimCall, b: Extract<CalleeBehavior, { kind: 'answer' | 'voicemail' }>) {
    const twiml = parseTwiml(one(c.params.Twiml) ?? '');
    const hook = sim.onAnswered;
    if (!twiml.stream || !hook) return;
    const ac = new AbortController();
    c.media = ac;
    hook({
      callSid: c.sid,
      accountSid: c.accountSid,
      streamUrl: twiml.stream.url,
      parameters: twiml.stream.parameters,
      to: c.to,
      from: c.from,
      signal: ac.signal,
      persona: b.kind === 'answer' ? b.persona : 'voicemail_greeting',
    })
      .then((r) => {
        // A redirect replaced the <Connect>: the call now runs the new TwiML.
        if (c.redirects.length > 0) return;
        // <Connect> ends when the stream closes; with no verbs after it the call is over.
        if ((r?.hangup ?? true) && twiml.afterConnect === '') void finish(c, 'completed');
      })
      .catch((err) => {
        log('media session failed', { callSid: c.sid, error: (err as Error).message });
        void finish(c, 'completed');
      });
  }

  function play(c: SimCall) {
    const b = behaviorFor(sim.scenario, c.to);
    const timeoutSec = Number(one(c.params.Timeout) ?? 60);
    const timeLimitSec = Number(one(c.params.TimeLimit) ?? 14_400);
    later(c, 0, async () => {
      c.status = 'initiated';
      c.startAt = new Date();
      await statusCallback(c, 'initiated');
      later(c, ringDelayMs, async () => {
        if (FINAL.has(c.status)) return;
        c.status = 'ringing';
        await statusCallback(c, 'ringing');
        switch (b.kind) {
          case 'answer':
          case 'voicemail': {
            const after = b.afterMs ?? 50;
            if (after >= timeoutSec * 1000) later(c, timeoutSec * 1000, () => finish(c, 'no-answer'));
            else
              later(c, after, async () => {
                later(c, timeLimitSec * 1000, () => finish(c, 'completed', 'time_limit'));
                await answer(c, b);
              });
            break;
          }
          case 'busy':
            later(c, b.afterMs ?? 50, () => finish(c, 'busy'));
            break;
          case 'failed':
            later(c, b.afterMs ?? 50, () => finish(c, 'failed'));
            break;
          case 'no-answer':
          case 'reject':
            later(c, timeoutSec * 1000, () => finish(c, 'no-answer'));
            break;
        }
      });
    });
  }

  function authorized(req: http.IncomingMessage, pathAccount: string): boolean {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const [user, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
    const given = Buffer.from(`${user}:${rest.join(':')}`);
    const want = Buffer.from(`${accountSid}:${authToken}`);
    return pathAccount === accountSid && given.length === want.length && timingSafeEqual(given, want);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const u = new URL(req.url ?? '/', 'http://sim');
    if (u.pathname.startsWith(ADMIN_PREFIX)) return handleAdmin(sim, req, res, u);
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/.exec(u.pathname);
    if (!m) return send(404, twilioError(404, 20404, `The requested resource ${u.pathname} was not found`));
    if (!authorized(req, m[1]!)) return send(401, twilioError(401, 20003, 'Authenticate'));
    const sid = m[2];

    if (!sid && req.method === 'POST') {
      const params = await readForm(req);
      const to = one(params.To) ?? '';
      const from = one(params.From) ?? '';
      const entry: CreateLogEntry = { at: new Date(), to, from, params, outcome: 'error' };
      createLog.push(entry);
      const fault = sim.faults.createErrors.shift();
      if (fault) {
        entry.status = fault.status;
        return send(
          fault.status,
          twilioError(
            fault.status,
            fault.code ?? (fault.status === 429 ? 20429 : 20500),
            fault.message ?? (fault.status === 429 ? 'Too Many Requests' : 'Internal Server Error'),
          ),
        );
      }
      if (!/^\+[1-9]\d{6,14}$/.test(to))
        return send(400, twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
      if (!/^\+[1-9]\d{6,14}$/.test(from))
        return send(
          400,
          twilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`),
        );
      if (!params.Twiml && !params.Url) return send(400, twilioError(400, 21205, 'Url or Twiml parameter is required.'));
      const behavior = behaviorFor(sim.scenario, to);
      if (behavior.kind === 'reject') {
        entry.status = behavior.status;
        return send(behavior.status, twilioError(behavior.status, behavior.code, behavior.message ?? `Call to ${to} rejected`));
      }
      const call: SimCall = {
        sid: 'CA' + randomBytes(16).toString('hex'),
        accountSid,
        to,
        from,
        status: 'queued',
        createdAt: new Date(),
        params,
        events: new Set(many(params.StatusCallbackEvent).flatMap((e) => e.split(/\s+/))),
        seq: 0,
        timers: [],
        held: [],
        redirects: [],
      };
      calls.set(call.sid, call);
      entry.callSid = call.sid;
      entry.outcome = 'created';
      entry.status = 201;
      play(call);
      if (sim.faults.dropCreateResponses > 0) {
        sim.faults.dropCreateResponses--;
        entry.outcome = 'response_dropped';
        req.socket.destroy();
        return;
      }
      if (sim.faults.delayCreateResponseMs > 0) await new Promise((r) => setTimeout(r, sim.faults.delayCreateResponseMs));
      return send(201, resource(call));
    }

    if (!sid && req.method === 'GET') {
      const to = u.searchParams.get('To');
      const from = u.searchParams.get('From');
      const pageSize = Number(u.searchParams.get('PageSize') ?? 50);
      const list = [...calls.values()]
        .filter((c) => !sim.faults.hideCallsFromList && (!to || c.to === to) && (!from || c.from === from))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, pageSize);
      return send(200, {
        calls: list.map(resource),
        first_page_uri: u.pathname + u.search,
        next_page_uri: null,
        previous_page_uri: null,
        page: 0,
        page_size: pageSize,
        start: 0,
        end: Math.max(0, list.length - 1),
        uri: u.pathname + u.search,
      });
    }

    const call = sid ? calls.get(sid) : undefined;
    if (!call) return send(404, twilioError(404, 20404, `The requested resource ${u.pathname} was not found`));
    if (req.method === 'GET') return send(200, resource(call));
    if (req.method === 'POST') {
      const params = await readForm(req);
      const status = one(params.Status);
      const newTwiml = one(params.Twiml);
      if (newTwiml !== undefined && status === undefined) {
        if (call.status !== 'in-progress') return send(400, twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
        // Like Twilio: the running TwiML stops (the media stream gets `stop`) and the new one runs.
        call.redirects.push(newTwiml);
        const dial = parseTwiml(newTwiml).dial;
        call.media?.abort('redirect');
        if (dial) {
          call.transferredTo = dial;
          log('call transferred', { callSid: call.sid, to: `…${dial.slice(-4)}` });
          later(call, opts.transferTalkMs ?? 1_000, () => finish(call, 'completed'));
        } else void finish(call, 'completed');
        return send(200, resource(call));
      }
      if (status === 'completed' || status === 'canceled') {
        if (FINAL.has(call.status)) return send(400, twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
        void finish(call, call.status === 'in-progress' ? 'completed' : 'canceled', 'rest');
        // Twilio answers with the resource as of the update; the final callback follows.
        return send(200, { ...resource(call), status: call.status === 'in-progress' ? 'completed' : call.status });
      }
      return send(400, twilioError(400, 21218, 'Invalid Status'));
    }
    return send(405, twilioError(405, 20004, 'Method not allowed'));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log('sim error', { error: (err as Error).message });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const callee = opts.callee
    ? createCallee({
        ...(opts.callee === true ? {} : opts.callee),
        authToken,
        log: (opts.callee !== true && opts.callee.log) || log,
      })
    : undefined;

  const sim: TwilioSim = {
    url,
    port,
    accountSid,
    authToken,
    scenario: opts.scenario ?? {},
    faults: noFaults(),
    onAnswered: opts.onAnswered ?? callee?.onAnswered,
    mediaSessions: callee?.sessions ?? new Map(),
    createLog,
    callbackLog,
    creates: (to) => createLog.filter((e) => !to || e.to === to),
    call: (sid) => calls.get(sid),
    calls: () => [...calls.values()],
    async waitForEnd(sid, timeoutMs = 30_000) {
      const e = endSignal(sid);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        e.promise,
        new Promise(
          (_, rej) => (t = setTimeout(() => rej(new Error(`sim call ${sid} did not end in ${timeoutMs} ms`)), timeoutMs)),
        ),
      ]);
      clearTimeout(t);
      return calls.get(sid)!;
    },
    env: () => ({ TWILIO_API_BASE: url }),
    async close() {
      closed = true;
      for (const c of calls.values()) {
        for (const t of c.timers) clearTimeout(t);
        c.media?.abort('sim_closed');
      }
      await callee?.settle();
      await Promise.allSettled([...inflight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}
