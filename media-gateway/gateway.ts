import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { metricsRegistry } from '../lib/metrics';
import { MEDIA_STREAM_PATH } from '../lib/media-stream';
import type { CallSession, SessionDeps } from './conversation/session';
import { handleConnection } from './stream/connection';
import { MAX_FRAME_BYTES } from './stream/protocol';
import { checkHandshake, type HandshakeCheckOptions } from './stream/verify';
import type { RecordingService } from './recording/service';

/**
 * The media gateway's HTTP side: the Media Streams WebSocket at MEDIA_STREAM_PATH, /healthz and
 * /metrics. Everything per call lives in stream/connection.ts and conversation/.
 */

export interface MediaGatewayOptions extends HandshakeCheckOptions {
  deps: SessionDeps;
  mediaTokenSecret: string;
  port?: number;
  host?: string;
  path?: string;
  startTimeoutMs?: number;
  log: Logger;
  /** Call recordings (media-gateway/recording/); absent: calls are not recorded. */
  recordings?: RecordingService;
}

export interface MediaGateway {
  server: Server;
  port: number;
  /** ws:// URL of the stream endpoint. */
  url: string;
  sessions: Set<CallSession>;
  /** Ends every call (mediaEnded `error`, signals flushed up to `graceMs`) and stops listening. */
  close(graceMs?: number): Promise<void>;
  /**
   * Graceful stop: /healthz says "draining" at once (the load balancer takes this gateway out),
   * new streams are still taken for `healthDelayMs` (what the balancer sends before it notices),
   * then refused with 503 (the balancer re-sends them to another gateway); live calls go on for up
   * to `limitMs`, then each still live is ended through the session's own shutdown (its transcript
   * and usage signalled to the call workflow), and the server closes.
   */
  drain(opts: { healthDelayMs: number; limitMs: number; graceMs?: number }): Promise<{ finished: number; ended: number }>;
  readonly draining: boolean;
}

export async function startMediaGateway(opts: MediaGatewayOptions): Promise<MediaGateway> {
  const path = opts.path ?? MEDIA_STREAM_PATH;
  const sessions = new Set<CallSession>();
  const registry = metricsRegistry();
  let draining = false;
  let refusing = false;
  /** Every call this gateway had while draining (those live when it began and those taken since). */
  const drained = new Set<CallSession>();
  const server = createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && p === '/healthz') {
      if (draining)
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: false, status: 'draining', streams: sessions.size }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, streams: sessions.size }));
      return;
    }
    if (req.method === 'GET' && p === '/metrics') {
      registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body))
        .catch(() => res.writeHead(500).end('metrics collection failed\n'));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, text: string) => {
      opts.log.warn({ status, reason: text }, 'media stream upgrade refused');
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    socket.on('error', () => {});
    if ((req.url ?? '/').split('?')[0] !== path) return reject(404, 'Not Found');
    if (refusing) return reject(503, 'draining: connect to another gateway');
    const hs = checkHandshake(req, opts);
    if (!hs.ok) return reject(403, hs.reason);
    wss.handleUpgrade(req, socket, head, (ws) => {
      handleConnection(
        ws,
        {
          deps: opts.deps,
          mediaTokenSecret: opts.mediaTokenSecret,
          startTimeoutMs: opts.startTimeoutMs,
          recordings: opts.recordings,
          onSession: (s) => {
            sessions.add(s);
            if (draining) drained.add(s);
            void s.done.then(() => sessions.delete(s));
          },
        },
        opts.log,
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const gateway: MediaGateway = {
    server,
    port,
    url: `ws://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}${path}`,
    sessions,
    get draining() {
      return draining;
    },
    async drain({ healthDelayMs, limitMs, graceMs = 10_000 }) {
      draining = true;
      for (const s of sessions) drained.add(s);
      opts.log.info({ streams: sessions.size, healthDelayMs, limitMs }, 'media gateway draining');
      await new Promise((r) => setTimeout(r, healthDelayMs));
      refusing = true;
      const deadline = new Promise((r) => setTimeout(r, limitMs));
      // Calls taken while the balancer had not noticed yet are live calls too: wait for all of them.
      let allDone = false;
      await Promise.race([
        (async () => {
          while (sessions.size) await Promise.allSettled([...sessions].map((s) => s.done));
          allDone = true;
        })(),
        deadline,
      ]);
      const left = [...sessions];
      if (!allDone && left.length)
        opts.log.warn({ ending: left.length, limitMs }, 'drain limit reached: ending the calls still live');
      await gateway.close(graceMs);
      return { finished: drained.size - left.length, ended: left.length };
    },
    async close(graceMs = 10_000) {
      const all = [...sessions];
      for (const s of all) s.shutdown();
      await Promise.race([Promise.allSettled(all.map((s) => s.done)), new Promise((r) => setTimeout(r, graceMs))]);
      await opts.recordings?.drain(graceMs);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return gateway;
}
