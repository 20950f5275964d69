import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../api/app';
import { LocalRecordingStore } from '../../lib/recordings/local-store';
import { recordingKey } from '../../lib/recordings/store';
import { sqlRecordingCatalog } from '../../lib/recordings/catalog';
import { wavHeader } from '../../lib/recordings/wav';
import { createRecordingActivities } from '../../activities/recordings';
import { ensureRecordingRetentionSchedule } from '../../workers/recording-retention-schedule';
import { createTestAccount } from '../helpers/accounts';
import { testContext, testLogger, withWorker, type TestContext } from '../helpers/env';

/**
 * The recording route (tenant isolation, HTTP ranges), the call detail's recording summary, and
 * per-account retention run by its Temporal Schedule — over the real API, Postgres and Temporal.
 */

let ctx: TestContext;
let dir: string;
let store: LocalRecordingStore;
let server: http.Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aicall-rec-api-'));
  ctx = await testContext({ RECORDINGS_DIR: join(dir, 'store') });
  store = new LocalRecordingStore(join(dir, 'store'));
  const app = createApp({ sql: ctx.sql, temporal: ctx.client, config: ctx.config, log: testLogger() });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** A call of `accountId` with a stored recording of `dataBytes` of patterned audio; returns its id and the file. */
async function recordedCall(accountId: string, opts: { dataBytes?: number; storedDaysAgo?: number } = {}) {
  const callId = randomUUID();
  await ctx.sql`insert into calls (id, account_id, to_e164, status, terminal) values (${callId}, ${accountId}, '+60123456789', 'completed', true)`;
  const data = Buffer.alloc(opts.dataBytes ?? 16_000, 0);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  const file = Buffer.concat([wavHeader(data.length), data]);
  const spool = join(dir, `${callId}.part`);
  await writeFile(spool, file);
  const key = recordingKey(accountId, callId);
  const catalog = sqlRecordingCatalog(ctx.sql);
  await catalog.started({ callId, accountId, store: 'local', key });
  const { bytes } = await store.put(key, spool);
  await catalog.stored(callId, { bytes, durationMs: 1000 });
  if (opts.storedDaysAgo)
    await ctx.sql`update call_recordings set stored_at = now() - make_interval(days => ${opts.storedDaysAgo}) where call_id = ${callId}`;
  return { callId, file, key };
}

async function createAccountWithKey(sql: TestContext['sql']) {
  const a = await createTestAccount(sql, { withKey: true });
  return { accountId: a.id, key: a.apiKey! };
}

const json = async (r: Response): Promise<any> => r.json();

const get = (key: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });

describe('GET /v1/calls/:id/recording', () => {
  it("streams the WAV to the call's account, with single byte ranges for seeking (206, 416, whole file for multipart)", async () => {
    const a = await createAccountWithKey(ctx.sql);
    const { callId, file } = await recordedCall(a.accountId);

    const whole = await get(a.key, `/v1/calls/${callId}/recording`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Number(whole.headers.get('content-length'))).toBe(file.length);
    expect(Buffer.from(await whole.arrayBuffer()).equals(file)).toBe(true);

    const mid = await get(a.key, `/v1/calls/${callId}/recording`, { range: 'bytes=100-1099' });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 100-1099/${file.length}`);
    expect(Buffer.from(await mid.arrayBuffer()).equals(file.subarray(100, 1100))).toBe(true);

    const open = await get(a.key, `/v1/calls/${callId}/recording`, { range: `bytes=${file.length - 10}-` });
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(file.subarray(file.length - 10))).toBe(true);

    const suffix = await get(a.key, `/v1/calls/${callId}/recording`, { range: 'bytes=-58' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${file.length - 58}-${file.length - 1}/${file.length}`);

    const past = await get(a.key, `/v1/calls/${callId}/recording`, { range: `bytes=${file.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${file.length}`);
    expect((await json(past)).error).toBe('range_not_satisfiable');

    const multi = await get(a.key, `/v1/calls/${callId}/recording`, { range: 'bytes=0-9,5000-5009' });
    expect(multi.status).toBe(200);
    expect(Buffer.from(await multi.arrayBuffer()).length).toBe(file.length);

    const junk = await get(a.key, `/v1/calls/${callId}/recording`, { range: 'pages=1-2' });
    expect(junk.status).toBe(200);
    await junk.arrayBuffer();

    const head = await fetch(`${base}/v1/calls/${callId}/recording`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${a.key}`, range: 'bytes=0-99' },
    });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-length')).toBe('100');
  });

  it('another account gets a 404, exactly as for a call that does not exist; the call detail says whether a recording exists', async () => {
    const a = await createAccountWithKey(ctx.sql);
    const b = await createAccountWithKey(ctx.sql);
    const { callId } = await recordedCall(a.accountId);

    const theirs = await get(b.key, `/v1/calls/${callId}/recording`);
    const none = await get(b.key, `/v1/calls/${randomUUID()}/recording`);
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(await theirs.json()).toEqual(await none.json());
    expect((await get(a.key, '/v1/calls/not-a-uuid/recording')).status).toBe(404);
    expect((await fetch(`${base}/v1/calls/${callId}/recording`)).status).toBe(401);

    const detail = await json(await get(a.key, `/v1/calls/${callId}`));
    expect(detail.recording).toMatchObject({ status: 'stored', available: true, url: `/v1/calls/${callId}/recording` });

    // A call whose recording failed says so (and has no audio); an unrecorded one says null.
    const failedCall = randomUUID();
    await ctx.sql`insert into calls (id, account_id, to_e164, status, terminal) values (${failedCall}, ${a.accountId}, '+60123456789', 'completed', true)`;
    const catalog = sqlRecordingCatalog(ctx.sql);
    await catalog.started({
      callId: failedCall,
      accountId: a.accountId,
      store: 'local',
      key: recordingKey(a.accountId, failedCall),
    });
    await catalog.failed(failedCall, 'write: ENOSPC: no space left on device');
    expect((await json(await get(a.key, `/v1/calls/${failedCall}`))).recording).toMatchObject({
      status: 'failed',
      available: false,
      error: 'write: ENOSPC: no space left on device',
    });
    const r = await get(a.key, `/v1/calls/${failedCall}/recording`);
    expect(r.status).toBe(404);
    expect((await json(r)).message).toMatch(/failed: write: ENOSPC/);
  });
});

describe('retention', () => {
  it("the account sets its retention; the Schedule's run deletes what is older, keeps the rest and other accounts' recordings", async () => {
    const a = await createAccountWithKey(ctx.sql);
    const keepAll = await createAccountWithKey(ctx.sql);
    const put = await fetch(`${base}/v1/recordings/retention`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ days: 7 }),
    });
    expect(await json(put)).toEqual({ days: 7 });
    const bad = await fetch(`${base}/v1/recordings/retention`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ days: 0 }),
    });
    expect(bad.status).toBe(400);
    expect((await json(await get(a.key, '/v1/recordings/retention'))).days).toBe(7);

    const old = await recordedCall(a.accountId, { storedDaysAgo: 8 });
    const recent = await recordedCall(a.accountId, { storedDaysAgo: 6 });
    const otherOld = await recordedCall(keepAll.accountId, { storedDaysAgo: 400 });

    const activities = createRecordingActivities({ sql: ctx.sql, log: testLogger(), store });
    await withWorker({ activities }, async (taskQueue) => {
      const scheduleId = `recording-retention-${randomUUID()}`;
      expect((await ensureRecordingRetentionSchedule(ctx.client, { taskQueue, scheduleId, every: '1 hour' })).created).toBe(true);
      expect((await ensureRecordingRetentionSchedule(ctx.client, { taskQueue, scheduleId, every: '2 hours' })).created).toBe(
        false,
      );
      const handle = ctx.client.schedule.getHandle(scheduleId);
      try {
        const desc = await handle.describe();
        expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'recordingRetentionWorkflow', taskQueue });
        await handle.trigger();
        const deadline = Date.now() + 30_000;
        let run: string | undefined;
        while (!run && Date.now() < deadline) {
          run = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
          if (!run) await new Promise((r) => setTimeout(r, 200));
        }
        expect(run).toBeDefined();
        const result = await ctx.client.workflow.getHandle(run!).result();
        expect(result).toEqual({ deleted: 1, failed: 0 });
      } finally {
        await handle.delete();
      }
    });

    expect(await store.size(old.key)).toBeUndefined();
    expect(await store.size(recent.key)).toBe(recent.file.length);
    expect(await store.size(otherOld.key)).toBe(otherOld.file.length);
    const rows = await ctx.sql<
      { call_id: string; status: string; deleted_at: Date | null }[]
    >`select call_id, status, deleted_at from call_recordings where call_id in (${old.callId}, ${recent.callId}, ${otherOld.callId})`;
    const status = Object.fromEntries(rows.map((r) => [r.call_id, r.status]));
    expect(status).toEqual({ [old.callId]: 'deleted', [recent.callId]: 'stored', [otherOld.callId]: 'stored' });
    expect((await get(a.key, `/v1/calls/${old.callId}/recording`)).status).toBe(404);
    expect((await json(await get(a.key, `/v1/calls/${old.callId}`))).recording).toMatchObject({
      status: 'deleted',
      available: false,
    });
  });
});
