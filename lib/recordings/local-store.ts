import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkKey, type RecordingStore } from './store';

/** Recordings as files under one directory (RECORDINGS_DIR), `<dir>/<accountId>/<callId>.wav`. */
export class LocalRecordingStore implements RecordingStore {
  readonly kind = 'local' as const;

  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    return join(this.dir, checkKey(key));
  }

  async put(key: string, path: string): Promise<{ bytes: number }> {
    const to = this.pathOf(key);
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(path, to);
    } catch (err) {
      // The spool is on another filesystem: copy, then drop the spool file.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(path, to);
      await unlink(path);
    }
    return { bytes: (await stat(to)).size };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? s.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const stream = createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : {});
    // Surface a missing file as a rejected promise rather than a stream error after the headers.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
