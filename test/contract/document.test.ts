import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildDocument, OPERATIONS } from '../../api/contract';
import { IdPath } from '../../api/contract/common';

/** How an Operation becomes OpenAPI: the parts the live contract test cannot see from the outside. */
describe('the contract document', () => {
  const doc = buildDocument(OPERATIONS, { origin: 'https://api.aicall.test/' }) as any;

  it("has servers (the deployment's origin first), both security schemes, a license and tagged operations with ids", () => {
    expect(doc.servers[0].variables.origin.default).toBe('https://api.aicall.test');
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['bearer', 'apiKeyHeader']);
    expect(doc.info.license.identifier).toMatch(/^LicenseRef-/);
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p)) as any[];
    expect(ops).toHaveLength(OPERATIONS.length);
    for (const op of ops) {
      expect(op.operationId).toBeTruthy();
      expect(op.tags).toHaveLength(1);
      expect(op.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
      expect(op.responses['429'].headers['Retry-After']).toBeDefined();
    }
  });

  it('an idempotent operation documents the Idempotency-Key header, the replay header, 409 and 422', () => {
    const create = doc.paths['/v1/campaigns'].post;
    expect(create.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]),
    );
    expect(create.responses['201'].headers['Idempotent-Replayed']).toBeDefined();
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '422', '429']));
    expect(doc.paths['/v1/campaigns'].get.parameters ?? []).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'idempotency-key' })]),
    );
  });

  it("a binary answer and a redirect can be written down (e.g. a call's recording)", () => {
    const recording = buildDocument([
      {
        method: 'get',
        path: '/v1/calls/{id}/recording',
        operationId: 'getCallRecording',
        tag: 'calls',
        auth: 'client',
        params: IdPath,
        summary: "The call's recording",
        ok: {
          status: 200,
          mediaType: 'audio/wav',
          description: 'Stereo WAV.',
          schema: z.string().meta({ format: 'binary' }),
          example: undefined,
          also: { 302: 'The recording in object storage (a signed URL).' },
        },
        errors: { 404: 'No such call, or no recording.' },
      },
    ]) as any;
    const op = recording.paths['/v1/calls/{id}/recording'].get;
    expect(op.responses['200'].content['audio/wav'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(op.responses['302'].headers.Location.schema.format).toBe('uri');
    expect(op.responses['404'].content['application/json']).toBeDefined();
  });

  it('the served recording is audio/wav with a 206 range answer, and a delete answers 204 without a body', () => {
    const recording = doc.paths['/v1/calls/{id}/recording'].get;
    expect(recording.responses['206'].content['audio/wav'].schema).toMatchObject({ type: 'string', format: 'binary' });
    expect(recording.responses['206'].headers['Content-Range']).toBeDefined();
    expect(Object.keys(recording.responses)).toEqual(expect.arrayContaining(['200', '206', '404', '416', '503']));
    const removed = doc.paths['/v1/webhooks/endpoints/{id}'].delete.responses['204'];
    expect(removed.description).toBeTruthy();
    expect(removed.content).toBeUndefined();
  });

  it("the platform do-not-call list is admin-only and its operations differ from the account's", () => {
    const platform = doc.paths['/v1/admin/suppressions'].get;
    expect(platform['x-admin-only']).toBe(true);
    expect(platform.operationId).not.toBe(doc.paths['/v1/suppressions'].get.operationId);
    expect(doc.paths['/v1/suppressions'].post.requestBody.content['text/csv']).toBeDefined();
  });
});
