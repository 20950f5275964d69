import { z } from 'zod';
import { RetentionSchema } from '../routes/recordings';
import { IdPath, type Operation } from './common';

/** A call's recording as audio, and the account's recording retention (api/routes/recordings.ts). */

export const RetentionViewSchema = z
  .object({
    days: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Recordings older than this many days are deleted; null keeps them.', example: 90 }),
  })
  .meta({ id: 'RecordingRetention' });
export type RetentionView = z.infer<typeof RetentionViewSchema>;

export const recordingOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/calls/{id}/recording',
    operationId: 'getCallRecording',
    tag: 'recordings',
    auth: 'client',
    params: IdPath,
    summary: "The call's recording (stereo WAV)",
    description:
      'The whole call as a stereo WAV: the caller on the left channel, the agent on the right. HTTP range requests are supported (`Accept-Ranges: bytes`), so an audio player can seek: one range answers 206 with `Content-Range`; several ranges, or a malformed `Range`, the whole file.',
    ok: {
      status: 200,
      mediaType: 'audio/wav',
      description: 'The whole recording.',
      schema: z.string().meta({ format: 'binary' }),
      also: { 206: 'The byte range asked for in `Range`.' },
    },
    errors: {
      404: 'No such call in this account, or it has no stored recording (none made, still recording, failed or deleted by retention: the message says which).',
      416: 'The range is outside the recording; `Content-Range: bytes */<size>` gives its size.',
      503: 'The recording is in a store this API is not configured for.',
    },
  },
  {
    method: 'get',
    path: '/v1/recordings/retention',
    operationId: 'getRecordingRetention',
    tag: 'recordings',
    auth: 'client',
    summary: 'How long the account keeps call recordings',
    ok: { status: 200, description: 'The retention.', schema: RetentionViewSchema, example: { days: 90 } },
  },
  {
    method: 'put',
    path: '/v1/recordings/retention',
    operationId: 'setRecordingRetention',
    tag: 'recordings',
    auth: 'client',
    summary: 'Set how long the account keeps call recordings',
    description:
      'A daily sweep deletes recordings older than `days` (1–3650); `null` keeps them. The call detail keeps saying a deleted recording existed.',
    body: { schema: RetentionSchema, example: { days: 90 } },
    ok: { status: 200, description: 'The retention now.', schema: RetentionViewSchema, example: { days: 90 } },
  },
];
