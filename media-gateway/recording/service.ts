import type { Logger } from 'pino';
import type { CallAgentView } from '../../workflows/call/contract';
import type { CallWorkflowPort } from '../signals/port';
import { CallRecorder, type RecorderDeps, type RecordingResult } from './recorder';

/**
 * The gateway's recordings: one CallRecorder per media stream, the port wrapper that tells it
 * whether the stream holds the call (and puts the campaign's recording notice before the first
 * message), and a drain for shutdown so no finished call loses its file.
 */
export class RecordingService {
  private readonly active = new Set<CallRecorder>();
  private readonly last = new Map<string, Promise<RecordingResult>>();

  constructor(private readonly deps: RecorderDeps) {}

  /** A recorder for a stream that has sent its `start`; finish() it when the stream is over. */
  forStream(callId: string, streamSid: string, log: Logger): CallRecorder {
    const rec = new CallRecorder({ ...this.deps, log }, callId, streamSid);
    this.active.add(rec);
    void rec.result.then(() => this.active.delete(rec));
    this.last.set(callId, rec.result);
    // Only the latest few results are kept for inspection (tests, the demo report).
    if (this.last.size > 1000) this.last.delete(this.last.keys().next().value!);
    return rec;
  }

  /**
   * The session's port, seen through the recorder: a successful attach starts the recording (unless
   * the campaign turned it off); the recording notice, when the campaign has one, is spoken before
   * the first message — as part of it, so the transcript and the TTS bill show it too.
   */
  portFor(port: CallWorkflowPort, rec: CallRecorder): CallWorkflowPort {
    return {
      signal: (callId, def, arg) => port.signal(callId, def, arg),
      amd: (callId) => port.amd(callId),
      attachMedia: async (callId, req) => {
        let view: CallAgentView;
        try {
          view = await port.attachMedia(callId, req);
        } catch (err) {
          rec.refused((err as Error).message);
          throw err;
        }
        rec.attached(view);
        const notice = view.agent.recording?.notice?.trim();
        if (!notice || view.agent.recording?.enabled === false) return view;
        return { ...view, agent: { ...view.agent, firstMessage: `${notice} ${view.agent.firstMessage}` } };
      },
    };
  }

  /** The result of the latest recording of `callId` on this gateway, once it is finished. */
  result(callId: string): Promise<RecordingResult> | undefined {
    return this.last.get(callId);
  }

  /** Waits for every recording in progress to be stored or given up (shutdown), at most `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const all = [...this.active].map((r) => r.result);
    await Promise.race([Promise.allSettled(all), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
