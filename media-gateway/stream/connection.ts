import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { gatewayStreamsActive, gatewayStreamsClosed } from '../../lib/metrics';
import { CallSession, type SessionDeps } from '../conversation/session';
import { parseInbound, ProtocolError, quickMediaPayload } from './protocol';
import { checkStartParameters } from './verify';
import type { MediaTap } from './tap';
import type { RecordingService } from '../recording/service';

/**
 * One Twilio media stream: parses what Twilio sends, verifies the `start`, and drives the call's
 * session. Anything malformed closes this socket with a reason (1007 bad data, 1008 refused) and
 * touches nothing else; every handler is wrapped so no input can throw into the server.
 */

export interface ConnectionOptions {
  deps: SessionDeps;
  mediaTokenSecret: string;
  /** Close a socket that has not sent a valid `start` by then. */
  startTimeoutMs?: number;
  onSession?: (s: CallSession) => void;
  /** Records each call the stream carries (media-gateway/recording/); absent: nothing is recorded. */
  recordings?: RecordingService;
}

export function handleConnection(ws: WebSocket, opts: ConnectionOptions, log: Logger): void {
  let session: CallSession | undefined;
  let closed = false;
  let recorder: ReturnType<RecordingService['forStream']> | undefined;
  gatewayStreamsActive.inc();
  const callerAudio = (ulaw: Buffer) => {
    recorder?.caller(ulaw);
    session!.audio(ulaw);
  };

  const sock = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  const io = {
    send: (text: string) => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    },
    // Many small frames in one TCP write: one syscall per TTS chunk instead of one per 20 ms frame.
    batch: (fn: () => void) => {
      sock?.cork();
      try {
        fn();
      } finally {
        process.nextTick(() => sock?.uncork());
      }
    },
    close: (code: number, reason: string) => refuse(code, reason, true),
    tap: undefined as MediaTap | undefined,
  };

  function refuse(code: number, reason: string, fromSession = false) {
    if (closed) return;
    closed = true;
    gatewayStreamsClosed.inc({ reason: reasonLabel(reason) });
    if (!fromSession) log.warn({ callId: session?.callId, code, reason }, 'media stream closed');
    ws.close(code, Buffer.byteLength(reason) > 120 ? reason.slice(0, 120) : reason);
    // A peer that never completes the closing handshake is cut off.
    setTimeout(() => ws.terminate(), 2_000).unref();
  }

  const startTimer = setTimeout(() => {
    if (!session) refuse(1008, 'no start event');
  }, opts.startTimeoutMs ?? 10_000);

  const fail = (reason: string) => {
    if (session) session.protocolError(reason);
    else refuse(1007, reason);
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (closed && !session) return;
    try {
      if (isBinary) return fail('binary frames are not part of the protocol');
      const raw = data.toString('utf8');
      const payload = session ? quickMediaPayload(raw) : undefined;
      if (payload !== undefined) return callerAudio(Buffer.from(payload, 'base64'));
      const ev = parseInbound(raw);
      switch (ev.event) {
        case 'connected':
          return;
        case 'start': {
          if (session) return fail('second start event');
          const check = checkStartParameters(opts.mediaTokenSecret, ev.start.customParameters);
          if (!check.ok) return refuse(1008, check.reason);
          // A token is valid for its whole TTL, so a replayed one passes here: which stream carries
          // the call is the call workflow's to say (the session's attachMedia), on any gateway.
          const fmt = ev.start.mediaFormat;
          if (fmt && (fmt.encoding !== 'audio/x-mulaw' || Number(fmt.sampleRate) !== 8000))
            return refuse(1007, `unsupported media format ${fmt.encoding}/${fmt.sampleRate}`);
          clearTimeout(startTimer);
          const streamSid = ev.start.streamSid ?? ev.streamSid;
          recorder = opts.recordings?.forStream(check.identity.callId, streamSid, log.child({ callId: check.identity.callId }));
          io.tap = recorder;
          const deps = recorder ? { ...opts.deps, port: opts.recordings!.portFor(opts.deps.port, recorder) } : opts.deps;
          session = new CallSession(deps, io, check.identity.callId, streamSid, ev.start.callSid);
          void session.done.then(() => recorder?.finish());
          opts.onSession?.(session);
          void session.start().catch((err) => {
            log.error({ callId: check.identity.callId, err: (err as Error).message }, 'session start failed');
            session?.finish('error', `start failed: ${(err as Error).message}`, { closeReason: 'error' });
          });
          return;
        }
        case 'media':
          // Before `start` there is no call to give it to; only the inbound track is the caller.
          if (session && (ev.media.track === undefined || ev.media.track === 'inbound'))
            callerAudio(Buffer.from(ev.media.payload, 'base64'));
          return;
        case 'dtmf':
          session?.dtmfDigit(ev.dtmf.digit);
          return;
        case 'mark':
          session?.mark(ev.mark.name);
          return;
        case 'stop':
          if (session) session.stop();
          else refuse(1000, 'stopped');
          return;
        case 'unknown':
          log.debug({ event: ev.name }, 'unknown media stream event ignored');
          return;
      }
    } catch (err) {
      if (err instanceof ProtocolError) return fail(err.message);
      log.error({ callId: session?.callId, err: (err as Error).message }, 'media stream handler failed');
      fail('internal error');
    }
  });

  ws.on('close', (code) => {
    clearTimeout(startTimer);
    gatewayStreamsActive.dec();
    if (!closed) {
      closed = true;
      gatewayStreamsClosed.inc({ reason: session ? 'peer_closed' : 'peer_closed_before_start' });
    }
    session?.socketClosed(code);
    // The stream is over: the recording ends here, not when the session's signals are flushed.
    void recorder?.finish();
  });
  ws.on('error', (err) => {
    // Oversized or invalid WebSocket frames land here; `close` follows.
    log.warn({ callId: session?.callId, err: err.message }, 'media stream socket error');
  });
}

function reasonLabel(reason: string): string {
  if (reason.startsWith('media token') || reason.includes('callId parameter')) return 'bad_token';
  if (/^(bad |frame |binary|second start|unsupported|malformed)/.test(reason)) return 'malformed';
  const known = [
    'end_call',
    'caller_hangup',
    'silence_timeout',
    'transfer',
    'error',
    'stopped',
    'unknown call',
    'call over',
    'no start event',
    'gateway shutting down',
    'call already streaming',
    'stream for another call',
    'agent unavailable',
  ];
  return known.includes(reason) ? reason.replace(/ /g, '_') : 'other';
}
