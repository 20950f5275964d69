import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sql } from '../lib/db';
import type { Config } from '../lib/config';
import { errorHandler, notFoundHandler } from './errors';
import { authenticate } from './auth';
import { healthRouter } from './routes/health';
import { creditsRouter } from './routes/credits';
import { topUpsRouter } from './routes/topups';
import { campaignsRouter } from './routes/campaigns';
import { openApiRouter } from './openapi';
import { adminRouter } from './routes/admin';
import { billplzWebhooksRouter } from './routes/billplz-webhooks';
import { rateLimitPerKey } from './rate-limit';
import { rejectUnstorableText } from './text-guard';
import { twilioWebhooksRouter } from './routes/twilio-webhooks';
import { metricsHandler } from '../lib/metrics';
import { requestLogger } from './request-log';
import { reportsRouter } from './routes/reports';
import { webhooksRouter } from './webhooks/routes';
import { suppressionsRouter } from './suppressions/routes';
import { templatesRouter } from './templates/routes';
import { analysisRouter } from './analysis/routes';
import { recordingsRouter } from './routes/recordings';
import { consoleRouter } from './console';

export interface AppDeps {
  sql: Sql;
  temporal: Client;
  config: Config;
  log: Logger;
}

/**
 * The HTTP surface. Public: /healthz, /webhooks/* (authenticated by vendor signatures).
 * Everything under /v1 needs an API key and is scoped to the key's account.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.get('/metrics', metricsHandler());
  app.use(requestLogger(deps.log));
  app.use(healthRouter(deps));
  app.use(openApiRouter({ origin: deps.config.APP_ORIGIN }));
  app.use(twilioWebhooksRouter(deps));
  app.use(billplzWebhooksRouter(deps));

  const v1 = express.Router();
  // key and rate limit first: neither an unauthenticated nor a throttled caller can make the API
  // read and parse a 1 MB body
  v1.use(authenticate(deps.sql, { adminKey: deps.config.ADMIN_API_KEY }));
  v1.use(
    rateLimitPerKey({
      sql: deps.sql,
      perSecond: deps.config.API_RATE_LIMIT_PER_SEC,
      burst: deps.config.API_RATE_LIMIT_BURST,
      onError: (err) => deps.log.warn({ err: err.message }, 'rate limit not checked: Postgres did not answer'),
    }),
  );
  v1.use(express.json({ limit: '1mb' }));
  v1.use(rejectUnstorableText);
  v1.use(reportsRouter(deps));
  // before adminRouter, which answers 404 for every /admin path it does not know
  v1.use(suppressionsRouter(deps));
  v1.use(adminRouter(deps));
  v1.use(creditsRouter(deps));
  v1.use(topUpsRouter(deps));
  v1.use(campaignsRouter(deps));
  v1.use(webhooksRouter(deps));
  v1.use(templatesRouter(deps));
  v1.use(analysisRouter(deps));
  v1.use(recordingsRouter(deps));
  app.use('/v1', v1);
  // the operator console (issue 14): /app, cookie sessions instead of API keys
  app.use(consoleRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
