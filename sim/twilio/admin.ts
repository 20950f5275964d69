import type http from 'node:http';
import { z } from 'zod';
import type { TwilioSim } from './server';

/**
 * The simulator's control surface for drivers in another process (npm run chaos / load): the
 * fault switches, the callee scenario, and what the "provider" saw. Not part of Twilio's API, so it
 * lives under its own prefix, outside /2010-04-01.
 *
 *   GET  /__sim/faults            the switches in force
 *   PUT  /__sim/faults            set some switches (JSON, any subset of Faults)
 *   PUT  /__sim/scenario          {default?, numbers?, byLastDigit?}: replaces the default, merges the rest
 *   GET  /__sim/creates           every create request: {at, to, outcome, status, callSid, callId}
 *   GET  /__sim/calls             every call: {sid, to, status, answeredBy, duration, callId}
 */
export const ADMIN_PREFIX = '/__sim/';

const Behavior = z.discriminatedUnion('kind', [
  // persona: a name or inline steps (sim/callee/persona.ts), checked where the callee plays it.
  z.object({
    kind: z.literal('answer'),
    afterMs: z.number().int().min(0).optional(),
    hangupAfterMs: z.number().int().min(0).optional(),
    persona: z.any().optional(),
  }),
  z.object({ kind: z.literal('busy'), afterMs: z.number().int().min(0).optional() }),
  z.object({ kind: z.literal('no-answer') }),
  z.object({ kind: z.literal('failed'), afterMs: z.number().int().min(0).optional() }),
  z.object({
    kind: z.literal('voicemail'),
    afterMs: z.number().int().min(0).optional(),
    detectMs: z.number().int().min(0).optional(),
    greetingMs: z.number().int().min(0).optional(),
    hangupAfterMs: z.number().int().min(0).optional(),
  }),
  z.object({
    kind: z.literal('reject'),
    status: z.number().int().min(400).max(599),
    code: z.number().int(),
    message: z.string().optional(),
  }),
]);
const ScenarioPatch = z
  .object({
    default: Behavior.optional(),
    numbers: z.record(z.string(), Behavior).optional(),
    byLastDigit: z.record(z.string().regex(/^\d$/), Behavior).optional(),
  })
  .strict();
const FaultsPatch = z
  .object({
    createErrors: z
      .array(
        z.object({
          status: z.number().int().min(400).max(599),
          code: z.number().int().optional(),
          message: z.string().optional(),
        }),
      )
      .optional(),
    dropCreateResponses: z.number().int().min(0).optional(),
    dropStatuses: z.array(z.string()).optional(),
    duplicateCallbacks: z.boolean().optional(),
    reverseCallbacks: z.boolean().optional(),
    delayCreateResponseMs: z.number().int().min(0).optional(),
    hideCallsFromList: z.boolean().optional(),
  })
  .strict();

/** The callId our dialer put on the status callback URL (`?callId=`), when there is one. */
export function callIdOf(statusCallback: string | string[] | undefined): string | null {
  const url = Array.isArray(statusCallback) ? statusCallback[0] : statusCallback;
  if (!url) return null;
  try {
    return new URL(url).searchParams.get('callId');
  } catch {
    return null;
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 20_000_000) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export async function handleAdmin(sim: TwilioSim, req: http.IncomingMessage, res: http.ServerResponse, u: URL): Promise<void> {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const what = u.pathname.slice(ADMIN_PREFIX.length);
  try {
    if (what === 'faults' && req.method === 'GET') return send(200, sim.faults);
    if (what === 'faults' && req.method === 'PUT') {
      const patch = FaultsPatch.parse(await readJson(req));
      Object.assign(sim.faults, patch);
      return send(200, sim.faults);
    }
    if (what === 'scenario' && req.method === 'PUT') {
      const patch = ScenarioPatch.parse(await readJson(req));
      if (patch.default) sim.scenario.default = patch.default;
      if (patch.numbers) sim.scenario.numbers = { ...sim.scenario.numbers, ...patch.numbers };
      if (patch.byLastDigit) sim.scenario.byLastDigit = { ...sim.scenario.byLastDigit, ...patch.byLastDigit };
      return send(200, { default: sim.scenario.default ?? null, numbers: Object.keys(sim.scenario.numbers ?? {}).length });
    }
    if (what === 'creates' && req.method === 'GET') {
      return send(
        200,
        sim.createLog.map((e) => ({
          at: e.at.toISOString(),
          to: e.to,
          outcome: e.outcome,
          status: e.status ?? null,
          callSid: e.callSid ?? null,
          callId: callIdOf(e.params.StatusCallback),
        })),
      );
    }
    if (what === 'calls' && req.method === 'GET') {
      return send(
        200,
        sim.calls().map((c) => ({
          sid: c.sid,
          to: c.to,
          status: c.status,
          answeredBy: c.answeredBy ?? null,
          duration: c.duration ?? null,
          callId: callIdOf(c.params.StatusCallback),
        })),
      );
    }
    return send(404, { error: 'not_found', message: `no simulator admin route ${req.method} ${u.pathname}` });
  } catch (err) {
    if (err instanceof z.ZodError)
      return send(400, {
        error: 'validation_failed',
        message: err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    if (err instanceof SyntaxError) return send(400, { error: 'bad_json', message: err.message });
    return send(400, { error: 'bad_request', message: (err as Error).message });
  }
}
