/**
 * One small interface per vendor (design: providers/). Adapters implement them against the real
 * vendor APIs; in development and tests the same adapters are pointed at the loopback simulators
 * in sim/. Owners of each adapter may extend their interface; keep it small.
 */

// ---- Telephony (Twilio) ---------------------------------------------------------------------

export interface DialRequest {
  callId: string;
  to: string;
  from: string;
  /** wss:// URL of the media gateway's stream endpoint. */
  streamUrl: string;
  /** Short-lived HMAC token bound to callId, passed as a <Parameter>. */
  streamToken: string;
  statusCallbackUrl: string;
  ringTimeoutSec: number;
  /** Hard cap on the call's length, enforced by Twilio as a backstop to the workflow's timer. */
  timeLimitSec: number;
  machineDetection: boolean;
  /**
   * `Enable` reports a machine as soon as it is detected (machine_start; we hang up); `DetectMessageEnd`
   * waits for the greeting's beep (machine_end_*), so a voicemail message can be left. Default Enable.
   */
  machineDetectionMode?: 'Enable' | 'DetectMessageEnd';
  /** Where asynchronous AMD results are posted. */
  amdStatusCallbackUrl?: string;
}

export interface ProviderCall {
  callSid: string;
  to: string;
  from: string;
  status: string;
  createdAt: Date;
}

/** A call as the provider sees it now (Twilio's call resource). */
export interface ProviderCallStatus {
  /** Twilio's status: queued, ringing, in-progress, completed, busy, no-answer, failed, canceled */
  status: string;
  /** Seconds from answer to end, once the call has ended. */
  durationSec?: number;
  answeredBy?: string;
}

export interface Telephony {
  /** One REST create: never retried inside (the caller owns idempotency, see activities/dialer.ts). */
  dial(req: DialRequest): Promise<{ callSid: string }>;
  /** Ends the call; a call that already ended is success. */
  hangup(callSid: string): Promise<void>;
  /** Calls from `from` to `to` created at or after `createdAfter`: finds a call whose create response was lost. */
  findCalls(q: { to: string; from: string; createdAfter: Date }): Promise<ProviderCall[]>;
  /** The call's current state at the provider; null when the provider does not know the SID. */
  fetchCall(callSid: string): Promise<ProviderCallStatus | null>;
}

// ---- Speech to text (Azure) -----------------------------------------------------------------

export interface SttOptions {
  language: string;
  /** Silence that ends a phrase; short for a fast end of turn. */
  segmentationSilenceMs?: number;
}

export interface SttEvents {
  partial: (text: string) => void;
  final: (text: string, timing: { offsetMs: number; durationMs: number }) => void;
  error: (err: Error) => void;
  /** The service answered something that is not a transcript (speech start, no match): it is alive. */
  activity: () => void;
}

export interface SttSession {
  /**
   * µ-law 8 kHz mono, as Twilio sends it. `canWait`: nothing is waiting on this audio's
   * transcript right now, so the session may gather it with the next writes into one message to
   * the service (every message costs CPU; see media-gateway/conversation/stt-pacing.ts). A write
   * without it goes out at once, after anything held.
   */
  write(ulaw: Buffer, canWait?: boolean): void;
  on<E extends keyof SttEvents>(event: E, listener: SttEvents[E]): this;
  close(): Promise<void>;
  /** Audio seconds sent so far, in ms (what Azure bills). */
  readonly audioMs: number;
}

export interface SpeechToText {
  start(opts: SttOptions): Promise<SttSession>;
}

// ---- Chat model (OpenRouter) ----------------------------------------------------------------

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCallId?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
}

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ChatDelta =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  | { type: 'usage'; promptTokens: number; completionTokens: number; costMicro?: number; model?: string };

export interface ChatRequest {
  model: string;
  fallbackModels?: string[];
  messages: ChatMessage[];
  tools?: ToolSpec[];
  signal?: AbortSignal;
  /** Structured output (OpenAI's `response_format`, which OpenRouter passes on), e.g. a JSON schema. */
  responseFormat?:
    | { type: 'json_schema'; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } }
    | { type: 'json_object' };
}

export interface ChatModel {
  stream(req: ChatRequest): AsyncIterable<ChatDelta>;
}

// ---- Text to speech (ElevenLabs) ------------------------------------------------------------

export interface TtsOptions {
  voiceId: string;
  model?: string;
  signal?: AbortSignal;
}

export interface TtsStream {
  /** Feed text as it arrives; the stream synthesises incrementally. */
  sendText(text: string): void;
  /** No more text: flush what is buffered and finish. */
  end(): void;
  /** µ-law 8 kHz audio as it is produced. */
  audio: AsyncIterable<Buffer>;
  readonly characters: number;
}

export interface TextToSpeech {
  open(opts: TtsOptions): Promise<TtsStream>;
}

// ---- Payments (Billplz) ---------------------------------------------------------------------

export interface CreateBillRequest {
  topUpId: string;
  amountSen: number;
  name: string;
  email?: string;
  mobile?: string;
  description: string;
  callbackUrl: string;
  redirectUrl: string;
  dueAt?: string;
}

export interface Bill {
  billId: string;
  url: string;
  state?: string;
  paid?: boolean;
}

export interface PaymentGateway {
  createBill(req: CreateBillRequest): Promise<Bill>;
  /** The bill as the provider has it now (asked before a top-up expires, in case its callback was lost). */
  getBill(billId: string): Promise<Bill & { amountSen: number; paidAt?: string }>;
}
