import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, one registry per process. The shared series are defined here, by name, so
 * every area (api, activities, dialer, media gateway) increments the same series and the names
 * cannot drift. Each process exposes the registry at /metrics: the API through `metricsHandler`,
 * the worker and the gateway through `startMetricsServer` (or by mounting `metricsHandler`).
 *
 * Counters are per process, as Prometheus expects: totals are summed across processes at query
 * time. Conditions that must be judged across processes (alerts) read Postgres, not these.
 */
export const registry = new Registry();
let defaultsInstalled = false;

/** The process registry with Node's default process metrics (installed once per process). */
export function metricsRegistry(): Registry {
  if (!defaultsInstalled) {
    defaultsInstalled = true;
    collectDefaultMetrics({ register: registry, prefix: 'aicall_' });
  }
  return registry;
}

/** Calls that reached a terminal status (completed, no-answer, busy, failed, canceled, ...). */
export const callsTerminal = new Counter({
  name: 'aicall_calls_terminal_total',
  help: 'Calls that reached a terminal status, by status',
  labelNames: ['status'] as const,
  registers: [registry],
});

type ActiveSource = () => Promise<number> | number;
let activeCallsSource: ActiveSource | undefined;
/**
 * Calls in flight. Read from a source at scrape time (the worker binds it to Postgres: calls not
 * yet terminal) so the figure survives restarts and is the same whichever worker ran the call.
 */
export const callsActive = new Gauge({
  name: 'aicall_calls_active',
  help: 'Calls started and not yet terminal',
  registers: [registry],
  async collect() {
    if (activeCallsSource) this.set(await activeCallsSource());
  },
});
export function setActiveCallsSource(fn: ActiveSource | undefined) {
  activeCallsSource = fn;
}

// Per-turn latencies of the media loop, in seconds from the caller's end of speech. Buckets span
// the range that matters for conversation (100 ms .. 5 s).
const LATENCY_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
const latency = (name: string, help: string) => new Histogram({ name, help, buckets: LATENCY_BUCKETS, registers: [registry] });
export const turnLatency = {
  sttFinal: latency('aicall_turn_stt_final_seconds', 'End of caller speech to STT final result'),
  llmFirstToken: latency('aicall_turn_llm_first_token_seconds', 'STT final to first LLM token'),
  ttsFirstByte: latency('aicall_turn_tts_first_byte_seconds', 'First LLM clause sent to TTS to first audio byte'),
  voiceToVoice: latency('aicall_turn_voice_to_voice_seconds', 'End of caller speech to first agent audio frame sent'),
  firstClause: latency('aicall_turn_first_clause_seconds', 'End of caller speech to the first complete clause of the reply'),
};

/** Media gateway: streams open now, streams closed by reason, barge-ins, undelivered signal attempts. */
export const gatewayStreamsActive = new Gauge({
  name: 'aicall_gateway_streams_active',
  help: 'Media streams open on this gateway',
  registers: [registry],
});
export const gatewayStreamsClosed = new Counter({
  name: 'aicall_gateway_streams_closed_total',
  help: 'Media streams closed, by reason (end_call, caller_hangup, silence_timeout, transfer, error, bad_token, malformed, unknown_call, ...)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
export const gatewayBargeIns = new Counter({
  name: 'aicall_gateway_barge_ins_total',
  help: 'Agent speech interrupted by the caller',
  registers: [registry],
});
export const gatewaySignalFailures = new Counter({
  name: 'aicall_gateway_signal_failures_total',
  help: 'Failed attempts to signal a call workflow (each is retried), by signal',
  labelNames: ['signal'] as const,
  registers: [registry],
});

/** Vendor failures: vendor = twilio|azure|openrouter|elevenlabs|billplz, code = vendor code or HTTP status. */
export const providerErrors = new Counter({
  name: 'aicall_provider_errors_total',
  help: 'Provider (vendor) errors, by vendor and code',
  labelNames: ['vendor', 'code'] as const,
  registers: [registry],
});
export type ProviderErrorObserver = (vendor: string, code: string | number | undefined) => void;
const providerErrorObservers = new Set<ProviderErrorObserver>();
/**
 * For a process whose vendor failures are counted deep in its own loop (the media gateway): it
 * registers one observer that also journals them for the provider-burst alert. Processes that call
 * noteProviderError already journal, so they must not register one.
 */
export function observeProviderErrors(observer: ProviderErrorObserver): () => void {
  providerErrorObservers.add(observer);
  return () => providerErrorObservers.delete(observer);
}
export function recordProviderError(vendor: string, code: string | number | undefined) {
  providerErrors.inc({ vendor, code: code === undefined ? 'unknown' : String(code) });
  for (const observe of providerErrorObservers) observe(vendor, code);
}

/** Ledger operations by op (credit|hold|post|void) and result (ok or the refusal's code). */
export const ledgerOperations = new Counter({
  name: 'aicall_ledger_operations_total',
  help: 'Ledger operations, by operation and result',
  labelNames: ['op', 'result'] as const,
  registers: [registry],
});
/** Runs a ledger operation and counts it; the result label is `ok`, the error's `code`, or `error`. */
export async function countLedgerOp<T>(op: 'credit' | 'hold' | 'post' | 'void', fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    ledgerOperations.inc({ op, result: 'ok' });
    return r;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    ledgerOperations.inc({ op, result: typeof code === 'string' && /^[A-Za-z_]+$/.test(code) ? code : 'error' });
    throw err;
  }
}

/** Top-ups by status they moved to (paid|expired|failed). */
export const topUps = new Counter({
  name: 'aicall_topups_total',
  help: 'Top-ups that reached a status, by status',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const alertsFired = new Counter({
  name: 'aicall_alerts_fired_total',
  help: 'Alerts fired, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const httpRequests = new Histogram({
  name: 'aicall_http_request_duration_seconds',
  help: 'API request duration, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

/** Express handler for GET /metrics. */
export function metricsHandler(reg: Registry = metricsRegistry()): RequestHandler {
  return async (_req, res, next) => {
    try {
      const body = await reg.metrics();
      res.set('content-type', reg.contentType).send(body);
    } catch (err) {
      next(err);
    }
  };
}

/** A tiny HTTP server exposing only /metrics, for processes without express (the worker). */
export async function startMetricsServer(
  port: number,
  reg: Registry = metricsRegistry(),
  host = '0.0.0.0',
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = await reg.metrics();
      res.writeHead(200, { 'content-type': reg.contentType }).end(body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
