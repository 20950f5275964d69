import { ok, type Api } from './api';
import type { Callee } from './roster';
import { balance } from './account';
import type { ProgressSnapshot, ProgressView } from './progress';

/**
 * The agent every demo call runs: a short sales call with three outcomes the callees can reach. On
 * the simulators its "LLM" is sim/callee/agent-script.ts (keyword rules that match the personas).
 */
export const DEMO_AGENT = {
  systemPrompt:
    'You are Aisyah, a friendly agent for Sinar Bank calling existing customers about a new savings plan with ' +
    '4% a year. Keep every reply to one or two short sentences. If they are interested, record the outcome ' +
    '"interested"; if they ask to be called later, agree a time and record "callback" with that time; if they ' +
    'decline, record "not_interested". Then say goodbye and end the call.',
  firstMessage: 'Hi, this is Aisyah from Sinar Bank, calling about our new savings plan. Do you have a minute?',
  language: 'en-US',
  voiceId: 'demo-aisyah',
  llmModel: 'meta-llama/llama-3.1-70b-instruct',
  outcomes: ['interested', 'not_interested', 'callback'],
  silenceTimeoutSec: 5,
};

export interface CampaignSettingsInput {
  maxConcurrentCalls: number;
}

export async function createCampaign(
  api: Api,
  callees: Callee[],
  s: CampaignSettingsInput,
): Promise<{ id: string; accepted: number }> {
  const res = await ok(
    api.POST('/v1/campaigns', {
      body: {
        name: 'Demo: fibre upgrade',
        agent: DEMO_AGENT,
        settings: {
          maxConcurrentCalls: s.maxConcurrentCalls,
          // Busy and unanswered numbers get one more try a few seconds later, to show retries.
          retry: { maxAttempts: 2, backoffSec: 2, retryOn: ['no_answer', 'busy'] },
          maxDurationSec: 120,
          ringTimeoutSec: 5,
          voicemailPolicy: 'hangup',
        },
        defaultRegion: 'MY',
        contacts: callees.map((c) => ({ phone: c.phone, name: c.name })),
      },
    }),
  );
  if (res.contacts.accepted !== callees.length) {
    throw new Error(
      `the campaign accepted ${res.contacts.accepted} of ${callees.length} contacts: ${JSON.stringify(res.contacts)}`,
    );
  }
  return { id: res.campaign.id, accepted: res.contacts.accepted };
}

/** Terminal call statuses (workflows/call/contract.ts); the rest are a call on its way. */
const TERMINAL = new Set([
  'completed',
  'no_answer',
  'busy',
  'failed',
  'voicemail',
  'invalid_number',
  'insufficient_credits',
  'canceled',
]);

/**
 * Starts the campaign and polls the API (campaign progress and the balance) until it is completed,
 * feeding the view. Throws if the campaign pauses or does not finish within `timeoutMs`.
 */
export async function runCampaign(
  api: Api,
  campaignId: string,
  view: ProgressView,
  timeoutMs: number,
): Promise<{ elapsedSec: number }> {
  const started = Date.now();
  const path = { params: { path: { id: campaignId } } };
  await ok(api.POST('/v1/campaigns/{id}/start', path));
  for (;;) {
    const [c, b] = await Promise.all([ok(api.GET('/v1/campaigns/{id}', path)), balance(api)]);
    const byStatus = Object.fromEntries(Object.entries(c.progress.calls).filter(([k]) => TERMINAL.has(k)));
    const snap: ProgressSnapshot = {
      elapsedSec: (Date.now() - started) / 1000,
      contactsDone: c.progress.contacts.done ?? 0,
      contactsTotal: c.contactCount,
      inFlight: c.progress.inProgress,
      callsFinished: Object.values(byStatus).reduce((a, n) => a + n, 0),
      byStatus,
      spentMicro: Number(c.spend.chargedMicro),
      availableMicro: Number(b.available),
      heldMicro: Number(b.held),
    };
    view.update(snap);
    if (c.status === 'completed') {
      view.done();
      return { elapsedSec: snap.elapsedSec };
    }
    if (c.status === 'paused' || c.status === 'canceled') {
      view.done();
      throw new Error(`the campaign is ${c.status}${c.pauseReason ? ` (${c.pauseReason})` : ''}`);
    }
    if (Date.now() - started > timeoutMs) {
      view.done();
      throw new Error(`the campaign did not finish within ${timeoutMs / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
