import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createApp } from '../../api/app';
import { sqlRecordingCatalog } from '../../lib/recordings/catalog';
import { recordingStoreFromConfig } from '../../lib/recordings/from-config';
import { S3RecordingStore } from '../../lib/recordings/s3-store';
import { readUlawStereoWav } from '../../lib/recordings/wav';
import { RecordingService } from '../../media-gateway/recording/service';
import { createTestAccount } from '../helpers/accounts';
import { testContext, testLogger, type TestContext } from '../helpers/env';
import { startMoto, type MotoServer } from './moto';
import { baseAgent } from '../gateway/harness';

/**
 * The S3 recording store against a real S3-protocol server on loopback (moto), configured the way
 * an operator would (RECORDINGS_S3_*, path-style): the gateway's recorder uploads the finished WAV,
 * the API serves byte ranges of it from the bucket, retention's delete removes it.
 */

const BUCKET = 'aicall-recordings';
let moto: MotoServer;
let ctx: TestContext;
let dir: string;
let store: S3RecordingStore;
let raw: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'aicall-s3-'));
  ctx = await testContext({
    RECORDINGS_DIR: join(dir, 'local'),
    RECORDINGS_S3_BUCKET: BUCKET,
    RECORDINGS_S3_ENDPOINT: moto.endpoint,
    RECORDINGS_S3_FORCE_PATH_STYLE: 'true',
    RECORDINGS_S3_ACCESS_KEY_ID: 'testing',
    RECORDINGS_S3_SECRET_ACCESS_KEY: 'testing',
    RECORDINGS_S3_PREFIX: 'calls/',
  });
  const configured = recordingStoreFromConfig(ctx.config);
  expect(configured).toBeInstanceOf(S3RecordingStore);
  store = configured as S3RecordingStore;
  raw = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await raw.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  store?.destroy();
  raw?.destroy();
  await moto?.close();
  await rm(dir, { recursive: true, force: true });
});

async function bytesOf(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('S3 recording store (moto on loopback)', () => {
  it('the recorder uploads the finished WAV; the API serves ranges of it; delete removes it', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const callId = randomUUID();
    await ctx.sql`insert into calls (id, account_id, to_e164, status) values (${callId}, ${a.id}, '+60123456789', 'in_progress')`;
    const spoolDir = join(dir, 'spool');
    const service = new RecordingService({ store, spoolDir, catalog: sqlRecordingCatalog(ctx.sql), log: testLogger() });

    // Two seconds of a call as the stream's tap sees it: caller frames, one agent chunk played and
    // confirmed, a second one cleared before it played.
    const rec = service.forStream(callId, 'MZtest', testLogger());
    rec.attached({ callId, accountId: a.id, status: 'in_progress', voicemailPolicy: 'hangup', agent: baseAgent() });
    const callerFrame = Buffer.alloc(160, 0x10);
    const heard = Buffer.alloc(4_000, 0x22);
    const cleared = Buffer.alloc(4_000, 0x33);
    for (let i = 0; i < 10; i++) rec.caller(callerFrame);
    rec.agent(heard, 'm1');
    for (let i = 0; i < 30; i++) rec.caller(callerFrame);
    rec.confirmed('m1');
    rec.agent(cleared, 'm2');
    rec.cleared();
    for (let i = 0; i < 60; i++) rec.caller(callerFrame);
    const result = await rec.finish();
    expect(result.status).toBe('stored');
    if (result.status !== 'stored') return;
    expect(result.durationMs).toBe(2_000);

    // In the bucket, under the prefix, and nothing left in the spool.
    const obj = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: `calls/${result.key}` }));
    expect(obj.ContentType).toBe('audio/wav');
    const file = await bytesOf(obj.Body as Readable);
    expect(file.length).toBe(result.bytes);
    expect(await readdir(spoolDir)).toEqual([]);
    const wav = readUlawStereoWav(file);
    expect(wav.left.equals(Buffer.alloc(16_000, 0x10))).toBe(true);
    // Right: silence, the heard chunk from 200 ms (when it was sent), silence after; never the cleared one.
    expect(wav.right.subarray(1_600, 5_600).equals(heard)).toBe(true);
    expect(wav.right.subarray(0, 1_600).every((b) => b === 0xff)).toBe(true);
    expect(wav.right.subarray(5_600).every((b) => b === 0xff)).toBe(true);

    // The API, configured for the same bucket, serves a byte range from it.
    const [row] = await ctx.sql`select status, store, bytes from call_recordings where call_id = ${callId}`;
    expect(row).toMatchObject({ status: 'stored', store: 's3', bytes: file.length });
    const app = createApp({ sql: ctx.sql, temporal: ctx.client, config: ctx.config, log: testLogger() });
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/calls/${callId}/recording`;
      const r = await fetch(url, { headers: { authorization: `Bearer ${a.apiKey}`, range: 'bytes=1000-1999' } });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes 1000-1999/${file.length}`);
      expect(Buffer.from(await r.arrayBuffer()).equals(file.subarray(1000, 2000))).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }

    await store.delete(result.key);
    expect(await store.size(result.key)).toBeUndefined();
    await store.delete(result.key); // idempotent
  });

  it('an upload that fails (no such bucket) ends the recording as failed, reported on the call', async () => {
    const a = await createTestAccount(ctx.sql);
    const callId = randomUUID();
    await ctx.sql`insert into calls (id, account_id, to_e164, status) values (${callId}, ${a.id}, '+60123456789', 'in_progress')`;
    const missing = new S3RecordingStore({
      bucket: 'no-such-bucket',
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'testing',
      secretAccessKey: 'testing',
    });
    const service = new RecordingService({
      store: missing,
      spoolDir: join(dir, 'spool2'),
      catalog: sqlRecordingCatalog(ctx.sql),
      log: testLogger(),
    });
    const rec = service.forStream(callId, 'MZtest2', testLogger());
    rec.attached({ callId, accountId: a.id, status: 'in_progress', voicemailPolicy: 'hangup', agent: baseAgent() });
    for (let i = 0; i < 60; i++) rec.caller(Buffer.alloc(160, 0x10));
    const result = await rec.finish();
    missing.destroy();
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.status === 'failed' && result.error).toMatch(/^upload: .*bucket/i);
    const [row] = await ctx.sql`select status, error from call_recordings where call_id = ${callId}`;
    expect(row!.status).toBe('failed');
    expect(await readdir(join(dir, 'spool2'))).toEqual([]);
  });
});
