import { saveAgent } from '../../lib/agents/store';
import { describe, expect, it, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { testContext, testLogger } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { createApp } from '../../api/app';
import { createLedgerActivities } from '../../activities/ledger';
import { callActivitiesFromConfig } from '../../activities/call';
import { setActiveCallsSource, startMetricsServer, turnLatency, metricsRegistry } from '../../lib/metrics';

/** `name{labels} value` -> value, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('the API and the worker metrics server expose the named series after real activities ran', async () => {
    const ctx = await testContext();
    const acct = await createTestAccount(ctx.sql);
    const ledger = createLedgerActivities(ctx.sql);
    const calls = callActivitiesFromConfig({ sql: ctx.sql, config: ctx.config, log: testLogger() });

    const api = await startTestApi(ctx);
    const before = (await api.call('GET', '/metrics')).text;
    const base = (s: string) => sample(before, s) ?? 0;

    await ledger.ledgerCredit({ accountId: acct.id, amountMicro: 5_000_000, key: `ops-test/${randomUUID()}`, reason: 'test' });
    await expect(
      ledger.ledgerHold({ accountId: acct.id, amountMicro: 50_000_000, key: `ops-test/${randomUUID()}` }),
    ).rejects.toThrow();
    // A call that is held and then ends unanswered, through the call activities.
    const callId = randomUUID();
    const agentId = await saveAgent(ctx.sql, acct.id, {
      systemPrompt: 's',
      firstMessage: 'hi',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
    });
    const input = {
      callId,
      accountId: acct.id,
      to: '+60123456789',
      attempt: 1,
      maxDurationSec: 60,
      ringTimeoutSec: 5,
      voicemailPolicy: 'hangup' as const,
      agentId,
    };
    const { quote } = await calls.callPrepare({ to: input.to, maxDurationSec: 60 });
    await calls.callBegin({ input, toE164: '+60123456789', quote });
    const finish = { callId, accountId: acct.id, maxDurationSec: 60, quote, ending: { status: 'busy' as const } };
    await calls.callFinish(finish);
    // A retried activity is not a second terminal call.
    await calls.callFinish(finish);
    turnLatency.voiceToVoice.observe(0.8);

    const after = await api.call('GET', '/metrics');
    expect(after.status).toBe(200);
    expect(after.headers.get('content-type')).toMatch(/text\/plain/);
    const t = after.text;
    expect(
      sample(t, 'aicall_ledger_operations_total{op="credit",result="ok"}')! -
        base('aicall_ledger_operations_total{op="credit",result="ok"}'),
    ).toBe(1);
    expect(
      sample(t, 'aicall_ledger_operations_total{op="hold",result="InsufficientCredits"}')! -
        base('aicall_ledger_operations_total{op="hold",result="InsufficientCredits"}'),
    ).toBe(1);
    expect(
      sample(t, 'aicall_ledger_operations_total{op="hold",result="ok"}')! -
        base('aicall_ledger_operations_total{op="hold",result="ok"}'),
    ).toBe(1);
    expect(
      sample(t, 'aicall_ledger_operations_total{op="void",result="ok"}')! -
        base('aicall_ledger_operations_total{op="void",result="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(t, 'aicall_calls_terminal_total{status="busy"}')! - base('aicall_calls_terminal_total{status="busy"}')).toBe(1);
    for (const name of [
      'aicall_turn_stt_final_seconds',
      'aicall_turn_llm_first_token_seconds',
      'aicall_turn_tts_first_byte_seconds',
      'aicall_turn_voice_to_voice_seconds',
      'aicall_provider_errors_total',
      'aicall_topups_total',
      'aicall_calls_active',
      'aicall_process_cpu_seconds_total',
    ])
      expect(t, name).toContain(`# TYPE ${name}`);
    expect(sample(t, 'aicall_turn_voice_to_voice_seconds_count')! - base('aicall_turn_voice_to_voice_seconds_count')).toBe(1);

    // The worker's own server serves the same registry; active calls come from the bound source.
    setActiveCallsSource(() => 7);
    const srv = await startMetricsServer(0, metricsRegistry(), '127.0.0.1');
    try {
      const w = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      const wt = await w.text();
      expect(sample(wt, 'aicall_calls_active')).toBe(7);
      expect(wt).toContain('aicall_calls_terminal_total{status="busy"}');
      expect((await fetch(`http://127.0.0.1:${srv.port}/other`)).status).toBe(404);
    } finally {
      setActiveCallsSource(undefined);
      await srv.close();
      await api.close();
    }
  });
});

describe('request logs', () => {
  it('bind ids from the path and never carry keys, signatures, tokens or full phone numbers', async () => {
    const ctx = await testContext();
    const acct = await createTestAccount(ctx.sql, { withKey: true });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    const app = createApp({ sql: ctx.sql, temporal: ctx.client, config: ctx.config, log });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const campaignId = randomUUID();
    const callId = randomUUID();
    const secrets = {
      key: acct.apiKey!,
      sig: 'c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ==',
      token: 'tok_SECRETmediaTOKEN123',
      phone: '+60123456789',
    };
    try {
      await fetch(`${url}/v1/campaigns/${campaignId}?to=${encodeURIComponent(secrets.phone)}&token=${secrets.token}`, {
        headers: { authorization: `Bearer ${secrets.key}`, 'x-twilio-signature': secrets.sig },
      });
      await fetch(`${url}/webhooks/twilio/status?callId=${callId}&To=${encodeURIComponent(secrets.phone)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': secrets.sig },
        body: `To=${encodeURIComponent(secrets.phone)}&AuthToken=${secrets.token}`,
      });
      await fetch(`${url}/v1/reports/summary`, { method: 'GET', headers: { 'x-api-key': secrets.key } });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests.length).toBe(3);
    expect(requests[0]).toMatchObject({ campaignId, accountId: acct.id, method: 'GET', path: `/v1/campaigns/${campaignId}` });
    expect(requests[1]).toMatchObject({ callId, path: '/webhooks/twilio/status' });
    expect(requests[2]).toMatchObject({ accountId: acct.id, status: 200 });
    const all = lines.join('\n');
    for (const s of [secrets.key, secrets.sig, secrets.token, secrets.phone, '60123456789', '0123456789'])
      expect(all).not.toContain(s);
  });
});

afterAll(() => setActiveCallsSource(undefined));
