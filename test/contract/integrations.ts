import { createServer, type Server } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Sql } from '../../lib/db';
import { sqlRecordingCatalog } from '../../lib/recordings/catalog';
import { LocalRecordingStore } from '../../lib/recordings/local-store';
import { recordingKey } from '../../lib/recordings/store';
import { suppressOptOut } from '../../lib/suppression';
import { emitEvent, type WebhookEmitter } from '../../lib/webhooks/emit';
import { testNumber } from '../call/harness';

/**
 * The live checks of the routes the integrations and media work added — webhooks, do-not-call
 * lists, the agent preview, analysis settings, recordings — called from the contract test with its
 * `call` (which validates every answer against the served document).
 */
type Call = (
  method: string,
  path: string,
  opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<{ status: number; body: any; text: string; headers: Headers }>;

export interface IntegrationChecks {
  call: Call;
  sql: Sql;
  key: string;
  adminKey: string;
  accountId: string;
  /** A finished campaign of the account, with `phone` among its contacts. */
  campaignId: string;
  phone: string;
  /** A call of that campaign, given a recording here. */
  callId: string;
  recordingsDir: string;
  emitter: WebhookEmitter;
  missing: string;
}

/** A loopback receiver that accepts every webhook. */
export async function startReceiver(): Promise<{ url: string; received: number; close: () => Promise<void> }> {
  const state = { received: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    get received() {
      return state.received;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A 1-second stereo 8 kHz µ-law WAV: a 44-byte header, then silence. */
function wav(): Buffer {
  const data = Buffer.alloc(16_000, 0xff);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(7, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(8_000, 24);
  h.writeUInt32LE(16_000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export async function checkWebhooks(c: IntegrationChecks): Promise<void> {
  const { call, key, missing } = c;
  const receiver = await startReceiver();
  try {
    const created = await call('POST', '/v1/webhooks/endpoints', {
      key,
      body: { url: receiver.url, eventTypes: ['campaign.completed'], description: 'contract' },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const ep = created.body.id as string;
    expect((await call('POST', '/v1/webhooks/endpoints', { key, body: { url: receiver.url, eventTypes: [] } })).status).toBe(400);
    expect((await call('GET', '/v1/webhooks/endpoints', { key })).body.endpoints.map((e: { id: string }) => e.id)).toContain(ep);
    expect(
      (await call('GET', `/v1/webhooks/endpoints/${ep}`, { key })).body.secret,
      'the secret is shown on creation only',
    ).toBeUndefined();
    expect((await call('GET', `/v1/webhooks/endpoints/${missing}`, { key })).status).toBe(404);
    expect(
      (await call('PATCH', `/v1/webhooks/endpoints/${ep}`, { key, body: { description: 'renamed' } })).body.description,
    ).toBe('renamed');
    expect((await call('PATCH', `/v1/webhooks/endpoints/${ep}`, { key, body: {} })).status).toBe(400);
    const rotated = await call('POST', `/v1/webhooks/endpoints/${ep}/rotate-secret`, { key, body: { previousSecretTtlSec: 60 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();

    const emitted = await emitEvent(c.emitter, {
      accountId: c.accountId,
      type: 'campaign.completed',
      data: { campaignId: c.campaignId, status: 'completed' },
      dedupKey: `contract:${c.campaignId}:${ep}`,
    });
    const deliveryId = emitted!.deliveries[0]!;
    await expect
      .poll(async () => (await call('GET', `/v1/webhooks/deliveries/${deliveryId}`, { key })).body.status, {
        timeout: 20_000,
        interval: 300,
      })
      .toBe('succeeded');
    const delivery = (await call('GET', `/v1/webhooks/deliveries/${deliveryId}`, { key })).body;
    expect([delivery.event.id, delivery.attemptLog[0].httpStatus]).toEqual([emitted!.eventId, 204]);
    expect(receiver.received).toBeGreaterThanOrEqual(1);
    const page = await call('GET', `/v1/webhooks/endpoints/${ep}/deliveries?limit=1&status=succeeded`, { key });
    expect(page.body.deliveries.map((d: { id: string }) => d.id)).toEqual([deliveryId]);
    expect((await call('GET', `/v1/webhooks/endpoints/${ep}/deliveries?status=lost`, { key })).status).toBe(400);
    expect((await call('GET', `/v1/webhooks/endpoints/${missing}/deliveries`, { key })).status).toBe(404);
    expect((await call('GET', `/v1/webhooks/deliveries/${missing}`, { key })).status).toBe(404);
    const again = await call('POST', `/v1/webhooks/deliveries/${deliveryId}/redeliver`, { key });
    expect([again.status, again.body.run]).toEqual([202, 2]);
    expect((await call('POST', `/v1/webhooks/deliveries/${missing}/redeliver`, { key })).status).toBe(404);
    expect((await call('PATCH', `/v1/webhooks/endpoints/${ep}`, { key, body: { enabled: false } })).body.status).toBe('disabled');
    expect((await call('POST', `/v1/webhooks/deliveries/${deliveryId}/redeliver`, { key })).status).toBe(409);
    expect((await call('DELETE', `/v1/webhooks/endpoints/${ep}`, { key })).status).toBe(204);
    expect((await call('GET', `/v1/webhooks/endpoints/${ep}`, { key })).status).toBe(404);
    expect((await call('DELETE', `/v1/webhooks/endpoints/${ep}`, { key })).status).toBe(404);
  } finally {
    await receiver.close();
  }
}

export async function checkSuppressions(c: IntegrationChecks): Promise<void> {
  const { call, key, adminKey } = c;
  const [a, b, optedOut, platform] = [testNumber(), testNumber(), testNumber(), testNumber()];
  const at = (n: string, base = '/v1/suppressions') => `${base}/${encodeURIComponent(n)}`;

  const added = await call('POST', '/v1/suppressions', {
    key,
    body: { numbers: [{ phone: a, reason: 'asked by email' }, { phone: '123' }] },
  });
  expect([added.status, added.body.added, added.body.invalid.length]).toEqual([201, 1, 1]);
  const same = await call('POST', '/v1/suppressions', { key, body: { numbers: [{ phone: a }] } });
  expect([same.status, same.body.alreadySuppressed]).toEqual([200, [{ line: 1, phone: a }]]);
  const imported = await call('POST', '/v1/suppressions?defaultRegion=US', {
    key,
    body: `phone,reason\n${b},from the CRM\n`,
    headers: { 'content-type': 'text/csv' },
  });
  expect([imported.status, imported.body.added]).toEqual([201, 1]);
  expect((await call('POST', '/v1/suppressions', { key, body: { numbers: [] } })).status).toBe(400);
  const first = await call('GET', '/v1/suppressions?limit=1', { key });
  expect([first.body.suppressions.length, typeof first.body.nextCursor]).toEqual([1, 'string']);
  expect((await call('GET', `/v1/suppressions?limit=1&cursor=${first.body.nextCursor}`, { key })).status).toBe(200);
  expect((await call('GET', '/v1/suppressions?cursor=nonsense', { key })).status).toBe(400);
  expect((await call('GET', at(b), { key })).body).toMatchObject({ phone: b, source: 'import', reason: 'from the CRM' });
  expect((await call('GET', at(optedOut), { key })).status).toBe(404);
  expect((await call('GET', at('not-a-number'), { key })).status).toBe(400);
  expect((await call('GET', '/v1/suppressions', { key: adminKey })).status).toBe(403);

  await suppressOptOut(c.sql, { accountId: c.accountId, e164: optedOut });
  expect((await call('DELETE', at(optedOut), { key })).status).toBe(409);
  expect((await call('DELETE', `${at(optedOut)}?force=true`, { key })).status).toBe(204);
  expect((await call('DELETE', at(a), { key })).status).toBe(204);
  expect((await call('DELETE', at(a), { key })).status).toBe(404);

  // the platform's list, for admin keys only
  const admin = '/v1/admin/suppressions';
  expect(
    (await call('POST', admin, { key: adminKey, body: { numbers: [{ phone: platform, reason: 'regulator list' }] } })).status,
  ).toBe(201);
  expect((await call('POST', admin, { key: adminKey, body: { numbers: [{ phone: 'x' }], defaultRegion: 'usa' } })).status).toBe(
    400,
  );
  expect((await call('POST', admin, { key, body: { numbers: [{ phone: platform }] } })).status).toBe(403);
  expect((await call('GET', admin, { key: adminKey })).body.suppressions.map((s: { phone: string }) => s.phone)).toContain(
    platform,
  );
  expect((await call('GET', at(platform, admin), { key: adminKey })).body.accountId).toBeNull();
  expect((await call('GET', at(platform, admin), { key })).status).toBe(403);
  expect((await call('DELETE', at(platform, admin), { key: adminKey })).status).toBe(204);
  expect((await call('GET', at(platform, admin), { key: adminKey })).status).toBe(404);
}

export async function checkCampaignExtras(c: IntegrationChecks): Promise<void> {
  const { call, key, campaignId, missing } = c;
  const preview = await call('GET', `/v1/campaigns/${campaignId}/preview?contact=${encodeURIComponent(c.phone)}`, { key });
  expect([preview.status, preview.body.phone]).toEqual([200, c.phone]);
  expect(
    (await call('GET', `/v1/campaigns/${campaignId}/preview?contact=${preview.body.contactId}`, { key })).body.firstMessage,
  ).toBe(preview.body.firstMessage);
  expect((await call('GET', `/v1/campaigns/${campaignId}/preview`, { key })).status).toBe(400);
  expect((await call('GET', `/v1/campaigns/${campaignId}/preview?contact=${missing}`, { key })).status).toBe(404);
  expect((await call('GET', `/v1/campaigns/${missing}/preview?contact=${missing}`, { key })).status).toBe(404);

  expect((await call('GET', `/v1/campaigns/${campaignId}/analysis`, { key })).body).toEqual({ analysis: null });
  const analysis = {
    summary: true,
    fields: [{ name: 'interest', type: 'enum', description: 'How interested the callee was', values: ['high', 'low'] }],
  };
  expect((await call('PUT', `/v1/campaigns/${campaignId}/analysis`, { key, body: { analysis } })).body).toEqual({ analysis });
  expect((await call('GET', `/v1/campaigns/${campaignId}/analysis`, { key })).body).toEqual({ analysis });
  expect(
    (await call('PUT', `/v1/campaigns/${campaignId}/analysis`, { key, body: { analysis: { summary: false, fields: [] } } }))
      .status,
  ).toBe(400);
  expect((await call('GET', `/v1/campaigns/${missing}/analysis`, { key })).status).toBe(404);
  expect((await call('PUT', `/v1/campaigns/${campaignId}/analysis`, { key, body: { analysis: null } })).body).toEqual({
    analysis: null,
  });
}

export async function checkRecordings(c: IntegrationChecks): Promise<void> {
  const { call, key, callId, missing } = c;
  expect((await call('GET', '/v1/recordings/retention', { key })).body).toEqual({ days: null });
  expect((await call('PUT', '/v1/recordings/retention', { key, body: { days: 30 } })).body).toEqual({ days: 30 });
  expect((await call('PUT', '/v1/recordings/retention', { key, body: { days: 0 } })).status).toBe(400);
  expect((await call('GET', '/v1/recordings/retention', { key })).body).toEqual({ days: 30 });

  expect((await call('GET', `/v1/calls/${callId}/recording`, { key })).status, 'no recording yet').toBe(404);
  const audio = wav();
  const file = join(await mkdtemp(join(tmpdir(), 'contract-wav-')), 'call.wav');
  await writeFile(file, audio);
  const k = recordingKey(c.accountId, callId);
  await new LocalRecordingStore(c.recordingsDir).put(k, file);
  const catalog = sqlRecordingCatalog(c.sql);
  await catalog.started({ callId, accountId: c.accountId, store: 'local', key: k });
  await catalog.stored(callId, { bytes: audio.length, durationMs: 1_000 });

  const whole = await call('GET', `/v1/calls/${callId}/recording`, { key });
  expect([whole.status, whole.headers.get('content-type'), whole.headers.get('content-length')]).toEqual([
    200,
    'audio/wav',
    String(audio.length),
  ]);
  const part = await call('GET', `/v1/calls/${callId}/recording`, { key, headers: { range: 'bytes=0-43' } });
  expect([part.status, part.headers.get('content-range'), part.text.slice(0, 4)]).toEqual([
    206,
    `bytes 0-43/${audio.length}`,
    'RIFF',
  ]);
  expect((await call('GET', `/v1/calls/${callId}/recording`, { key, headers: { range: `bytes=${audio.length}-` } })).status).toBe(
    416,
  );
  expect((await call('GET', `/v1/calls/${missing}/recording`, { key })).status).toBe(404);
  expect((await call('GET', `/v1/calls/${callId}`, { key })).body.recording).toMatchObject({
    status: 'stored',
    available: true,
    bytes: audio.length,
  });
}
