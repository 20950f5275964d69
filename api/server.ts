import { createServer } from 'node:http';
import { loadConfig } from '../lib/config';
import { createSql } from '../lib/db';
import { createLogger } from '../lib/logger';
import { connectTemporal } from '../lib/temporal';
import { createApp } from './app';
import { keepIdleConnectionsLonger } from './keep-alive';

const config = loadConfig();
const log = createLogger('api');
const sql = createSql(config.DATABASE_URL, { max: 20, debugName: 'aicall-api' });
const temporal = await connectTemporal(config);
const app = createApp({ sql, temporal, config, log });

/**
 * Drain on SIGTERM/SIGINT, in the order a load balancer needs: /healthz says "draining" (503) while
 * every other request is still served, for DRAIN_HEALTH_DELAY_MS, so HAProxy takes this instance
 * out (2 failed checks a second apart) before anything is refused; then the listener closes (new
 * connections go to the other instances), idle keep-alive connections close, and requests in flight
 * get up to API_DRAIN_TIMEOUT_MS to finish before their connections are cut.
 */
let draining = false;
const server = keepIdleConnectionsLonger(
  createServer((req, res) => {
    if (draining) {
      // A reused connection must not keep bringing work here: the client reconnects elsewhere.
      res.setHeader('connection', 'close');
      if ((req.url ?? '').split('?')[0] === '/healthz') {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'draining' }));
        return;
      }
    }
    app(req, res);
  }),
);
server.listen(config.API_PORT, () => log.info({ port: config.API_PORT }, 'api listening'));

async function shutdown(signal: string) {
  if (draining) return;
  draining = true;
  log.info({ signal, healthDelayMs: config.DRAIN_HEALTH_DELAY_MS, drainTimeoutMs: config.API_DRAIN_TIMEOUT_MS }, 'api draining');
  await new Promise((r) => setTimeout(r, config.DRAIN_HEALTH_DELAY_MS));
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections();
  const inTime = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), config.API_DRAIN_TIMEOUT_MS)),
  ]);
  if (!inTime) {
    log.warn('api drain timed out: closing the connections still open');
    server.closeAllConnections();
  }
  await Promise.allSettled([sql.end({ timeout: 5 }), temporal.connection.close()]);
  log.info('api stopped');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
