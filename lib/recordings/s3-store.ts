import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkKey, type RecordingStore } from './store';

export interface S3StoreSettings {
  bucket: string;
  /** Any S3-compatible endpoint (MinIO, R2, a local moto server); unset means AWS for `region`. */
  endpoint?: string;
  region: string;
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key` (MinIO, moto). */
  forcePathStyle: boolean;
  /** Both or neither; neither uses the SDK's default chain (environment, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every key, e.g. `recordings/`. */
  prefix?: string;
}

/** Recordings as objects in an S3-compatible bucket (`@aws-sdk/client-s3`). */
export class S3RecordingStore implements RecordingStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly s: S3StoreSettings) {
    this.client = new S3Client({
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      credentials:
        s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
      // A recording upload retried by the SDK re-reads the file; three attempts, then it is reported.
      maxAttempts: 3,
    });
  }

  private objectKey(key: string): string {
    return `${this.s.prefix ?? ''}${checkKey(key)}`;
  }

  async put(key: string, path: string): Promise<{ bytes: number }> {
    const bytes = (await stat(path)).size;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.s.bucket,
        Key: this.objectKey(key),
        // A buffer lets the SDK retry the request; a stream cannot be re-read, so only the rare huge file streams.
        Body: bytes <= 16 * 1024 * 1024 ? await readFile(path) : createReadStream(path),
        ContentLength: bytes,
        ContentType: 'audio/wav',
      }),
    );
    return { bytes };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.objectKey(key) }));
      return r.ContentLength;
    } catch (err) {
      if (err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404))
        return undefined;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const r = await this.client.send(
      new GetObjectCommand({
        Bucket: this.s.bucket,
        Key: this.objectKey(key),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    return r.Body as Readable;
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 whether or not the object existed.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.objectKey(key) }));
  }

  destroy(): void {
    this.client.destroy();
  }
}
