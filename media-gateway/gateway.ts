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
}

export async function startMediaGateway(opts: MediaGatewayOptions): Promise<MediaGateway> {
  const path = opts.path ?? MEDIA_STREAM_PATH;
  const sessions = new Set<CallSession>();
  const registry = metricsRegistry();
  const server = createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && p === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, streams: sessions.size }));
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
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    };
    socket.on('error', () => {});
    if ((req.url ?? '/').split('?')[0] !== path) return reject(404, 'Not Found');
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
  return {
    server,
    port,
    url: `ws://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}${path}`,
    sessions,
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
}
