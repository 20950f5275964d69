import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RecordingCatalog } from '../../lib/recordings/catalog';
import { recordingKey, type RecordingStore } from '../../lib/recordings/store';
import { HEADER_BYTES, wavHeader } from '../../lib/recordings/wav';
import { isCallOver, type CallAgentView } from '../../workflows/call/contract';
import type { MediaTap } from '../stream/tap';
import { recordingFailures, recordingsFinished } from './metrics';
import { RecordingTimeline } from './timeline';

/**
 * One call's recording, fed by the stream's tap. The audio path only copies bytes into the timeline;
 * every second of caller audio the final part is queued and written to a spool file by one async
 * write loop (never awaited by the audio path). When the stream ends the rest is written, the WAV
 * header patched with the sizes, and the file handed to the store.
 *
 * A failure anywhere (full disk, a write or upload error, a write backlog the disk cannot keep up
 * with) ends the recording, not the call: the tap turns into a no-op, the spool file is removed, and
 * the failure is logged, counted and kept on the call (call_recordings.status = 'failed', `failure`).
 */

export type RecordingResult =
  | { status: 'stored'; key: string; bytes: number; durationMs: number }
  | { status: 'failed'; error: string }
  | { status: 'off'; why: string };

export interface RecorderDeps {
  store: RecordingStore;
  spoolDir: string;
  catalog?: RecordingCatalog;
  log: Logger;
  /** Opens the spool file for writing (tests inject a failing one). */
  openSpool?: (path: string) => Promise<FileHandle>;
  /** Queued bytes beyond which the disk is deemed unable to keep up (default 8 MB, ~8 min of audio). */
  maxBacklogBytes?: number;
}

type State = 'waiting' | 'recording' | 'finishing' | 'off' | 'failed' | 'done';

/** Caller frames between two hand-offs to the write loop: 50 × 20 ms. */
const FRAMES_PER_FLUSH = 50;
/** Audio kept in memory while the workflow has not said whether this stream holds the call. */
const MAX_WAITING_MS = 120_000;

export class CallRecorder implements MediaTap {
  private readonly timeline = new RecordingTimeline();
  private state: State = 'waiting';
  private readonly log: Logger;
  private key: string | undefined;
  private readonly spoolPath: string;
  private opened: Promise<FileHandle> | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private dataBytes = 0;
  private writing: Promise<void> | undefined;
  private frames = 0;
  /** Why the recording ended early; the call keeps it (call_recordings.error). */
  failure: string | undefined;
  private settle!: (r: RecordingResult) => void;
  readonly result: Promise<RecordingResult>;

  constructor(
    private readonly deps: RecorderDeps,
    readonly callId: string,
    streamSid: string,
  ) {
    this.log = deps.log.child({ callId, component: 'recorder' });
    this.spoolPath = join(deps.spoolDir, `${callId}.${streamSid.replace(/[^A-Za-z0-9]/g, '')}.wav.part`);
    this.result = new Promise((r) => (this.settle = r));
  }

  private get taking(): boolean {
    return this.state === 'waiting' || this.state === 'recording';
  }

  // ---- the tap (audio path: copy and return) ---------------------------------------------------

  caller(frame: Buffer): void {
    if (!this.taking) return;
    this.timeline.caller(frame);
    if (++this.frames % FRAMES_PER_FLUSH !== 0) return;
    if (this.state === 'recording') this.pump();
    else if (this.timeline.durationMs > MAX_WAITING_MS)
      this.off('no answer from the call workflow on whether this stream holds the call');
  }

  agent(audio: Buffer, mark: string): void {
    if (this.taking) this.timeline.agent(audio, mark);
  }

  confirmed(mark: string): void {
    if (this.taking) this.timeline.confirmed(mark);
  }

  cleared(): void {
    if (this.taking) this.timeline.cleared();
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** The workflow gave this stream the call: record it unless its campaign turned recording off. */
  attached(view: CallAgentView): void {
    if (this.state !== 'waiting') return;
    if (isCallOver(view.status)) return this.off(`call is ${view.status}`);
    if (view.agent.recording?.enabled === false) return this.off('recording is off for the campaign');
    this.state = 'recording';
    this.key = recordingKey(view.accountId, this.callId);
    this.opened = this.openSpool();
    this.opened.catch((err) => this.fail('open', err as Error));
    // Not awaited by anything on the audio path; a catalog failure costs the row, not the audio.
    this.deps.catalog
      ?.started({ callId: this.callId, accountId: view.accountId, store: this.deps.store.kind, key: this.key })
      .catch((err) => {
        this.log.error({ err: (err as Error).message }, 'recording row not written');
      });
    this.pump();
  }

  /** The workflow refused this stream, or could not be asked: nothing is recorded. */
  refused(why: string): void {
    if (this.state === 'waiting') this.off(why);
  }

  /** The stream is over: write the rest, finish the file, store it. Resolves with the result. */
  finish(): Promise<RecordingResult> {
    if (this.state === 'waiting') this.off('the stream ended before the call workflow answered');
    if (this.state !== 'recording') return this.result;
    this.state = 'finishing';
    void this.complete();
    return this.result;
  }

  private async complete(): Promise<void> {
    const rest = this.timeline.takeAll();
    if (rest) this.enqueue(rest);
    const durationMs = this.timeline.durationMs;
    try {
      await this.drainWrites();
      if (this.state !== 'finishing') return; // a write failed: already reported
      const fh = await this.opened!;
      try {
        await fh.write(wavHeader(this.dataBytes), 0, HEADER_BYTES, 0);
      } finally {
        await fh.close();
      }
    } catch (err) {
      return this.fail('finalize', err as Error);
    }
    let bytes: number;
    try {
      ({ bytes } = await this.deps.store.put(this.key!, this.spoolPath));
    } catch (err) {
      return this.fail('upload', err as Error);
    }
    // The S3 store uploads a copy; the local store moved the file and this is a no-op.
    await unlink(this.spoolPath).catch(() => {});
    this.state = 'done';
    try {
      await this.deps.catalog?.stored(this.callId, { bytes, durationMs });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'recording stored but its row was not updated');
    }
    recordingsFinished.inc({ result: 'stored' });
    this.log.info(
      { key: this.key, bytes, durationMs, droppedStaleBytes: this.timeline.droppedStale || undefined },
      'call recording stored',
    );
    this.settle({ status: 'stored', key: this.key!, bytes, durationMs });
  }

  // ---- writing ---------------------------------------------------------------------------------

  private async openSpool(): Promise<FileHandle> {
    await mkdir(this.deps.spoolDir, { recursive: true });
    const fh = await (this.deps.openSpool ?? ((p) => open(p, 'w')))(this.spoolPath);
    try {
      // Sizes are patched at the end; a crash leaves a file whose header says "empty", never a lie.
      await fh.write(wavHeader(0), 0, HEADER_BYTES, 0);
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    return fh;
  }

  private pump(): void {
    const ready = this.timeline.takeReady();
    if (ready) this.enqueue(ready);
  }

  private enqueue(buf: Buffer): void {
    this.queue.push(buf);
    this.queuedBytes += buf.length;
    if (this.queuedBytes > (this.deps.maxBacklogBytes ?? 8 * 1024 * 1024)) {
      return this.fail('backlog', new Error(`${this.queuedBytes} bytes waiting: the recordings disk cannot keep up`));
    }
    this.writing ??= this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      const fh = await this.opened!;
      while (this.queue.length && (this.state === 'recording' || this.state === 'finishing')) {
        const buf = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
        this.queue = [];
        this.queuedBytes = 0;
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off, HEADER_BYTES + this.dataBytes + off);
          if (bytesWritten === 0) throw new Error('write made no progress');
          off += bytesWritten;
        }
        this.dataBytes += buf.length;
      }
    } catch (err) {
      this.fail('write', err as Error); // an open failure was reported first; this is then a no-op
    } finally {
      this.writing = undefined;
    }
  }

  private async drainWrites(): Promise<void> {
    while (this.writing) await this.writing;
  }

  // ---- ends ------------------------------------------------------------------------------------

  private off(why: string): void {
    this.state = 'off';
    recordingsFinished.inc({ result: 'off' });
    this.log.debug({ why }, 'call not recorded');
    this.settle({ status: 'off', why });
  }

  private fail(stage: 'open' | 'write' | 'backlog' | 'finalize' | 'upload', err: Error): void {
    if (this.state === 'failed' || this.state === 'done' || this.state === 'off') return;
    this.state = 'failed';
    const message = `${stage}: ${err.message}`.slice(0, 500);
    this.failure = message;
    this.queue = [];
    this.queuedBytes = 0;
    recordingFailures.inc({ stage });
    recordingsFinished.inc({ result: 'failed' });
    this.log.error({ stage, err: err.message }, 'call recording failed; the call goes on without it');
    void (async () => {
      const fh = await this.opened?.catch(() => undefined);
      await fh?.close().catch(() => {});
      await unlink(this.spoolPath).catch(() => {});
      await this.deps.catalog
        ?.failed(this.callId, message)
        .catch((e) => this.log.error({ err: (e as Error).message }, 'recording failure not written to its row'));
      this.settle({ status: 'failed', error: message });
    })();
  }
}
