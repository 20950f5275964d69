/**
 * What the simulated callee saw and did on one call, for tests and the demo. All `…Ms` fields are
 * milliseconds since the stream opened (media time: frame n starts at n × 20 ms), so caller and
 * agent events line up with each other and with the recording.
 */

export type CallerUtteranceKind = 'say' | 'interrupt' | 'backchannel';

export interface CallerUtterance {
  kind: CallerUtteranceKind;
  text: string;
  startMs: number;
  /** When the last frame of it was sent; unset while it is still being spoken (or the call ended first). */
  endMs?: number;
  /** Whether agent audio was playing when the caller started. */
  overAgent: boolean;
}

export interface AgentUtterance {
  /** As decoded from the audio actually played to the callee (so cut short by a `clear`). */
  text: string;
  startMs: number;
  endMs?: number;
  /** A `clear` dropped queued audio while this utterance was playing. */
  interrupted: boolean;
}

export interface MarkRecord {
  name: string;
  receivedMs: number;
  /** When the callee echoed it back: after the audio queued before it played, or at a `clear`. */
  echoedMs?: number;
  /** Echoed because a `clear` dropped the audio before it, not because it played. */
  cleared: boolean;
  /** Agent audio bytes received before this mark (the audio a mark covers is what came since the previous one). */
  agentBytesBefore: number;
}

export interface ClearRecord {
  atMs: number;
  /** Agent audio dropped unplayed. */
  droppedBytes: number;
  /** Marks echoed because of this clear. */
  marks: string[];
}

export interface DtmfRecord {
  digit: string;
  atMs: number;
}

export type StreamEndBy =
  /** The application (gateway) closed the WebSocket. */
  | 'gateway'
  /** The persona hung up: `stop`, then close. */
  | 'callee'
  /** The call ended at Twilio (REST hang-up, the callee's scenario hang-up, time limit): `stop`, then close. */
  | 'twilio'
  /** Could not connect, or the socket failed. */
  | 'error';

export interface StreamEnd {
  by: StreamEndBy;
  atMs: number;
  /** WebSocket close code and reason as received (gateway) or sent (callee/twilio). */
  code?: number;
  reason?: string;
  /** For `twilio`: why the call ended (`rest`, `callee`, `time_limit`, `sim_closed`); for `error`: the error. */
  detail?: string;
}

export interface MediaSession {
  callSid: string;
  streamSid: string;
  accountSid: string;
  url: string;
  /** Persona name, or `inline` for steps given in the scenario. */
  persona: string;
  startedAt: Date;
  /** The WebSocket handshake succeeded. */
  connected: boolean;
  caller: CallerUtterance[];
  agent: AgentUtterance[];
  marks: MarkRecord[];
  clears: ClearRecord[];
  dtmf: DtmfRecord[];
  /** Frames from the application that Twilio would ignore (bad JSON, wrong streamSid, unknown event…). */
  protocolErrors: { atMs: number; error: string }[];
  /** Media frames sent to the application. */
  framesSent: number;
  agentBytesReceived: number;
  agentBytesPlayed: number;
  end?: StreamEnd;
  /** Path of the stereo WAV (left caller, right agent) once written. */
  recordingPath?: string;
  /** Resolves when the stream is over and the recording (if any) is written. */
  done: Promise<void>;
}
