import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext, testLogger, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { startOpenRouterSim, type OpenRouterSim, type SimMessage } from '../../sim/openrouter/server';
import { OpenRouterChatModel } from '../../providers/openrouter/adapter';
import { createAnalysisActivities } from '../../activities/analysis';
import { AnalysisConfigSchema, analysisJsonSchema } from '../../lib/analysis/schema';

const config = AnalysisConfigSchema.parse({
  summary: true,
  fields: [
    { name: 'interest', type: 'enum', values: ['high', 'low', 'none'], description: 'how interested the caller is' },
    { name: 'callback_at', type: 'datetime', description: 'when the caller wants a call back' },
    { name: 'policy_count', type: 'number', description: 'policies the caller holds' },
    { name: 'wants_email', type: 'boolean', description: 'asked for an email' },
    { name: 'renewal_date', type: 'date', description: 'renewal date mentioned' },
    { name: 'notes', type: 'text', description: 'anything else' },
  ],
});
const valid = {
  summary: 'Pemanggil berminat dan minta dihubungi semula.',
  fields: {
    interest: 'high',
    callback_at: '2026-12-07T10:00:00+08:00',
    policy_count: 2,
    wants_email: false,
    renewal_date: '2027-01-15',
    notes: null,
  },
};

/** The simulated model: what it answers depends on a mode word the caller says in the transcript. */
function script(messages: SimMessage[], _model: string) {
  const transcript = String(messages[1]?.content ?? '');
  const repair = messages.length > 2;
  const mode = /mode (\w+)/.exec(transcript)?.[1];
  if (mode === 'valid') return { text: JSON.stringify(valid) };
  if (mode === 'fenced') return { text: '```json\n' + JSON.stringify(valid) + '\n```' };
  if (mode === 'fix')
    return { text: JSON.stringify(repair ? valid : { ...valid, fields: { ...valid.fields, interest: 'maybe' } }) };
  if (mode === 'invalid')
    return { text: JSON.stringify({ ...valid, fields: { ...valid.fields, callback_at: 'tomorrow at ten' } }) };
  return { text: 'The caller seems interested and wants a call back tomorrow.' };
}

describe('post-call analysis', () => {
  let ctx: TestContext;
  let sim: OpenRouterSim;
  let account: { id: string; apiKey: string };
  let activities: ReturnType<typeof createAnalysisActivities>;

  beforeAll(async () => {
    ctx = await testContext();
    sim = await startOpenRouterSim({ script });
    account = (await createTestAccount(ctx.sql, { withKey: true })) as { id: string; apiKey: string };
    const model = new OpenRouterChatModel({ apiKey: sim.apiKey, baseURL: sim.baseUrl, maxAttempts: 1 });
    activities = createAnalysisActivities({ sql: ctx.sql, log: testLogger(), chatModel: () => model, budgetMs: 10_000 });
  });
  afterAll(async () => sim?.close());

  const callWith = async (callerSays: string, analysis: unknown = config) => {
    const campaignId = randomUUID();
    await ctx.sql`insert into campaigns (id, account_id, name, agent, settings, analysis)
      values (${campaignId}, ${account.id}, 'a', ${ctx.sql.json({ systemPrompt: 's', firstMessage: 'f', language: 'ms-MY', voiceId: 'v', llmModel: 'sim/analysis-model' } as never)}, '{}',
              ${analysis ? ctx.sql.json(analysis as never) : null})`;
    const callId = randomUUID();
    await ctx.sql`insert into calls (id, account_id, campaign_id, to_e164, status, terminal) values (${callId}, ${account.id}, ${campaignId}, '+60123456789', 'completed', true)`;
    const transcript = [
      { role: 'agent' as const, text: 'Selamat pagi, saya Aina dari Acme, menelefon berkenaan polisi anda.' },
      { role: 'caller' as const, text: callerSays },
    ];
    return { callId, campaignId, transcript };
  };
  const stored = async (callId: string) => (await ctx.sql`select * from call_analysis where call_id = ${callId}`)[0];

  it('the JSON schema asked for is strict: every field required and nullable, no extra properties', () => {
    const js = analysisJsonSchema(config) as any;
    expect(js.additionalProperties).toBe(false);
    expect(js.required).toEqual(['summary', 'fields']);
    expect(js.properties.fields.required).toEqual(config.fields.map((f) => f.name));
    expect(js.properties.fields.additionalProperties).toBe(false);
    expect(JSON.stringify(js.properties.fields.properties.interest)).toContain('"high"');
  });

  it('valid JSON: stored with the call, tokens counted, asked with a json_schema response format', async () => {
    const { callId, transcript } = await callWith('Ya saya berminat, mode valid, telefon saya esok pukul sepuluh.');
    const before = sim.requests.length;
    const r = await activities.callAnalyze({ callId, transcript });
    expect(r).toMatchObject({ status: 'ok' });
    expect(sim.requests.length - before).toBe(1);
    const req = sim.requests.at(-1) as any;
    expect(req.model).toBe('sim/analysis-model');
    expect(req.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'call_analysis', strict: true } });
    const row = await stored(callId);
    expect(row).toMatchObject({
      status: 'ok',
      summary: valid.summary,
      fields: valid.fields,
      raw: null,
      error: null,
      requests: 1,
    });
    if (r.status !== 'ok') throw new Error('unreachable');
    expect(r.promptTokens).toBeGreaterThan(0);
    expect(r.completionTokens).toBeGreaterThan(0);
    expect(row!.prompt_tokens).toBe(r.promptTokens);
    expect(r.reportedCostMicro).toBeGreaterThanOrEqual(0);
    // once analysed, not asked (nor billed) again
    expect(await activities.callAnalyze({ callId, transcript })).toMatchObject({ status: 'done', promptTokens: 0 });
    expect(sim.requests.length - before).toBe(1);
    // and shown by the API
    const api = await startTestApi(ctx);
    try {
      const call = await api.call('GET', `/v1/calls/${callId}`, { key: account.apiKey });
      expect(call.body.analysis).toMatchObject({
        status: 'ok',
        summary: valid.summary,
        fields: { interest: 'high', callback_at: '2026-12-07T10:00:00+08:00' },
      });
    } finally {
      await api.close();
    }
  });

  it('a fenced JSON reply is read', async () => {
    const { callId, transcript } = await callWith('mode fenced');
    expect((await activities.callAnalyze({ callId, transcript })).status).toBe('ok');
  });

  it('invalid JSON gets one repair request with the errors; a valid repair is stored, tokens of both counted', async () => {
    const { callId, transcript } = await callWith('mode fix');
    const before = sim.requests.length;
    const r = await activities.callAnalyze({ callId, transcript });
    expect(r.status).toBe('ok');
    expect(sim.requests.length - before).toBe(2);
    const repair = (sim.requests.at(-1) as any).messages;
    expect(repair).toHaveLength(4);
    expect(repair[3].content).toMatch(/fields\.interest/);
    const row = await stored(callId);
    expect(row).toMatchObject({ status: 'ok', requests: 2 });
  });

  it('invalid twice: the raw text is kept with the validation error', async () => {
    const { callId, transcript } = await callWith('mode invalid');
    const r = await activities.callAnalyze({ callId, transcript });
    expect(r.status).toBe('invalid');
    const row = await stored(callId);
    expect(row).toMatchObject({ status: 'invalid', summary: null, fields: null, requests: 2 });
    expect(row!.raw).toContain('tomorrow at ten');
    expect(row!.error).toMatch(/fields\.callback_at/);
  });

  it('no JSON at all: raw text and "not JSON" after the repair attempt', async () => {
    const { callId, transcript } = await callWith('mode none');
    expect((await activities.callAnalyze({ callId, transcript })).status).toBe('invalid');
    expect(await stored(callId)).toMatchObject({
      status: 'invalid',
      raw: 'The caller seems interested and wants a call back tomorrow.',
      error: 'the reply is not JSON',
    });
  });

  it('a model that fails is `failed` (retried later) and never throws; a later success replaces it', async () => {
    const { callId, transcript } = await callWith('mode valid');
    sim.failNext({ kind: 'status', status: 503 });
    const r = await activities.callAnalyze({ callId, transcript });
    expect(r).toMatchObject({ status: 'failed' });
    expect((await stored(callId))!.status).toBe('failed');
    expect((await activities.callAnalyze({ callId, transcript })).status).toBe('ok');
    expect(await stored(callId)).toMatchObject({ status: 'ok', summary: valid.summary });
  });

  it('a model slower than the budget is cut off as failed', async () => {
    const model = new OpenRouterChatModel({ apiKey: sim.apiKey, baseURL: sim.baseUrl, maxAttempts: 1 });
    const quick = createAnalysisActivities({ sql: ctx.sql, log: testLogger(), chatModel: () => model, budgetMs: 200 });
    const { callId, transcript } = await callWith('mode valid');
    sim.failNext({ kind: 'slow', firstTokenMs: 1_500 });
    const r = await quick.callAnalyze({ callId, transcript });
    expect(r).toMatchObject({ status: 'failed', error: 'the analysis ran out of time' });
  });

  it('skips calls of campaigns without analysis and calls where the caller said nothing', async () => {
    const none = await callWith('mode valid', null);
    expect(await activities.callAnalyze({ callId: none.callId, transcript: none.transcript })).toMatchObject({
      status: 'skipped',
    });
    const silent = await callWith('mode valid');
    expect(await activities.callAnalyze({ callId: silent.callId, transcript: [silent.transcript[0]!] })).toMatchObject({
      status: 'skipped',
      reason: 'the caller said nothing',
    });
  });

  it('callAnalysisWorkflow retries a failed analysis separately, reading the stored transcript', async () => {
    const { withWorker } = await import('../helpers/env');
    const { callId, transcript } = await callWith('mode valid');
    for (const [i, t] of transcript.entries())
      await ctx.sql`insert into transcript_turns (call_id, seq, role, text) values (${callId}, ${i + 1}, ${t.role}, ${t.text})`;
    sim.failNext({ kind: 'status', status: 503 }, 2);
    const r = await withWorker({ activities }, (taskQueue) =>
      ctx.client.workflow.execute('callAnalysisWorkflow', {
        taskQueue,
        workflowId: `analysis/${callId}`,
        args: [{ callId, delaysMs: [100, 100, 100] }],
      }),
    );
    expect(r).toMatchObject({ status: 'ok' });
    expect(await stored(callId)).toMatchObject({ status: 'ok', requests: 3 });
  });

  it('the analysis settings are validated by the API', async () => {
    const api = await startTestApi(ctx);
    try {
      const { campaignId } = await callWith('x', null);
      const bad = await api.call('PUT', `/v1/campaigns/${campaignId}/analysis`, {
        key: account.apiKey,
        body: { analysis: { fields: [{ name: 'interest', type: 'enum', description: 'd' }] } },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/enum field lists its values/);
      const good = await api.call('PUT', `/v1/campaigns/${campaignId}/analysis`, {
        key: account.apiKey,
        body: { analysis: config },
      });
      expect(good.status, good.text).toBe(200);
      expect((await api.call('GET', `/v1/campaigns/${campaignId}/analysis`, { key: account.apiKey })).body.analysis).toEqual(
        config,
      );
    } finally {
      await api.close();
    }
  });
});
