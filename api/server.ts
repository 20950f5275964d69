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
const server = keepIdleConnectionsLonger(app.listen(config.API_PORT, () => log.info({ port: config.API_PORT }, 'api listening')));

async function shutdown(signal: string) {
  log.info({ signal }, 'api shutting down');
  server.close();
  server.closeAllConnections();
  await Promise.allSettled([sql.end({ timeout: 5 }), temporal.connection.close()]);
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
