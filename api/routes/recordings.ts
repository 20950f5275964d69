import { Router, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { recordingOf } from '../../lib/recordings/catalog';
import { recordingStoreFromConfig } from '../../lib/recordings/from-config';
import type { RecordingStore } from '../../lib/recordings/store';
import type { RetentionView } from '../contract/recordings';

/**
 * A call's recording as audio (`GET /v1/calls/:id/recording`), to the call's own account only — a
 * call of another account is a 404, like one that does not exist — with HTTP range requests
 * (RFC 9110 §14) so a browser's audio player can seek: one range is a 206 with Content-Range, a
 * range past the end a 416, several ranges (multipart) or a malformed header the whole file (200),
 * as the RFC allows. And the account's retention (`/v1/recordings/retention`).
 */
/** The account's recording retention in days; null keeps recordings. */
export const RetentionSchema = z.object({ days: z.number().int().min(1).max(3650).nullable() }).strict();

export function recordingsRouter(deps: AppDeps, opts: { store?: RecordingStore } = {}): Router {
  const r = Router();
  const { sql, log } = deps;
  const store = opts.store ?? recordingStoreFromConfig(deps.config);
  const uuid = z.uuid();

  r.get('/calls/:id/recording', async (req, res) => {
    const accountId = accountOf(req);
    const id = uuid.safeParse(req.params.id);
    const rec = id.success ? await recordingOf(sql, accountId, id.data) : undefined;
    if (!rec) throw notFound('recording');
    if (rec.status !== 'stored')
      throw new HttpError(
        404,
        'not_found',
        `recording ${rec.status === 'recording' ? 'in progress' : rec.status}${rec.error ? `: ${rec.error}` : ''}`,
      );
    if (!store || store.kind !== rec.store)
      throw new HttpError(
        503,
        'recordings_unavailable',
        `recordings are kept in ${rec.store} storage, which this API is not configured for`,
      );
    const size = await store.size(rec.key);
    if (size === undefined) {
      log.error({ callId: rec.callId, key: rec.key }, 'recording row says stored but the object is missing');
      throw notFound('recording');
    }
    res.setHeader('Accept-Ranges', 'bytes');
    const header = req.headers.range;
    const ranges = header ? parseRange(size, header, { combine: true }) : -2;
    if (ranges === -1) {
      // before Content-Type is set: the 416's body is the JSON error
      res.setHeader('Content-Range', `bytes */${size}`);
      throw new HttpError(416, 'range_not_satisfiable', `range ${header} is outside the recording (${size} bytes)`);
    }
    res.setHeader('Content-Type', 'audio/wav');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Disposition', `inline; filename="${rec.callId}.wav"`);
    const one = Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1 ? ranges[0]! : undefined;
    if (one) {
      res.status(206).setHeader('Content-Range', `bytes ${one.start}-${one.end}/${size}`);
      res.setHeader('Content-Length', String(one.end - one.start + 1));
    } else res.status(200).setHeader('Content-Length', String(size));
    if (req.method === 'HEAD') return void res.end();
    await send(res, await store.read(rec.key, one), log, rec.callId);
  });

  r.get('/recordings/retention', async (req, res) => {
    const accountId = accountOf(req);
    const [a] = await sql<
      { days: number | null }[]
    >`select recording_retention_days as days from accounts where id = ${accountId}`;
    res.json({ days: a?.days ?? null } satisfies RetentionView);
  });

  r.put('/recordings/retention', async (req, res) => {
    const accountId = accountOf(req);
    const { days } = RetentionSchema.parse(req.body);
    await sql`update accounts set recording_retention_days = ${days} where id = ${accountId}`;
    res.json({ days } satisfies RetentionView);
  });
  return r;
}

async function send(res: Response, body: NodeJS.ReadableStream, log: AppDeps['log'], callId: string) {
  try {
    await pipeline(body, res);
  } catch (err) {
    // A player that seeks closes its previous request mid-body: normal, not an error.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
      log.warn({ callId, err: (err as Error).message }, 'recording stream failed');
    res.destroy();
  }
}
