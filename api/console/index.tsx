import express, { Router, type ErrorRequestHandler } from 'express';
import multer from 'multer';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZodError } from 'zod';
import type { AppDeps } from '../app';
import { HttpError, zodIssues } from '../errors';
import { attachSession, requireCsrf, requireSignIn } from './auth/middleware';
import { authRoutes } from './routes/auth';
import { dashboardRoutes } from './routes/dashboard';
import { creditsRoutes } from './routes/credits';
import { campaignRoutes } from './routes/campaigns';
import { callRoutes } from './routes/calls';
import { settingsRoutes } from './routes/settings';
import { adminRoutes } from './routes/admin';
import { isHtmx, sendFragment, sendHtml } from './context';
import { Notice, Page } from './views/layout';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

/** Browser assets from node_modules (no CDN: the console works offline) and the console's own CSS and JS. */
function assets(): Router {
  const files = new Map<string, string>(
    Object.entries({
      'htmx.min.js': require.resolve('htmx.org/dist/htmx.min.js'),
      'sse.min.js': require.resolve('htmx-ext-sse/dist/sse.min.js'),
      'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
      'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
      'console.css': path.join(here, 'static/console.css'),
      'charts.js': path.join(here, 'static/charts.js'),
    }),
  );
  const r = Router();
  r.get('/app/assets/:file', (req, res, next) => {
    // a Map, so a name like `constructor` is not found on Object.prototype
    const f = files.get(req.params.file);
    if (!f) return next();
    res.sendFile(f, { maxAge: '1h' });
  });
  return r;
}

/**
 * The operator console under /app: server-rendered pages (preact to strings), htmx for the live
 * parts. Same origin and same domain code as /v1; sessions, CSRF tokens and sign-in throttling live
 * in Postgres, so any number of API replicas serve it.
 */
export function consoleRouter(deps: AppDeps): Router {
  const secure = (deps.config.APP_ORIGIN ?? '').startsWith('https:');
  const r = Router();
  r.use(assets());
  r.use('/app', express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 200 }));
  // multipart only for the CSV upload; parsed before the CSRF check, which needs its _csrf field
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: 20 * 1024 * 1024, files: 1, fields: 60, fieldSize: 21 * 1024 * 1024 },
  });
  r.use('/app', (req, res, next) => (req.is('multipart/form-data') ? upload.single('csv')(req, res, next) : next()));
  r.use('/app', attachSession(deps.sql, secure));
  r.use(authRoutes(deps, secure));
  r.use('/app', requireSignIn, requireCsrf);
  r.use(dashboardRoutes(deps));
  r.use(creditsRoutes(deps));
  r.use(campaignRoutes(deps));
  r.use(callRoutes(deps));
  r.use(settingsRoutes(deps));
  r.use(adminRoutes(deps));
  r.use('/app', (req, _res, next) => next(new HttpError(404, 'not_found', `no page at ${req.path}`)));
  r.use('/app', consoleErrors(deps));
  return r;
}

const TITLES: Record<number, string> = {
  400: 'Check the form',
  401: 'Sign in again',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible now',
  413: 'Too large',
  429: 'Too many requests',
};

/** Errors under /app are pages (or htmx fragments) with the same message the API would give. */
function consoleErrors({ log }: AppDeps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    let status = 500;
    let message = 'Something went wrong on our side. It has been logged.';
    if (err instanceof HttpError) [status, message] = [err.status, err.message];
    else if (err instanceof ZodError)
      [status, message] = [
        400,
        zodIssues(err)
          .map((i) => `${i.field}: ${i.message}`)
          .join('; '),
      ];
    else if (err instanceof multer.MulterError)
      [status, message] = [err.code === 'LIMIT_FILE_SIZE' ? 413 : 400, `upload: ${err.message}`];
    else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      [status, message] = [err.status, err.expose ? err.message : 'bad request'];
    else log.error({ err, method: req.method, path: req.path }, 'console error');
    const body = <Notice kind="error">{message}</Notice>;
    if (isHtmx(req)) return sendFragment(res, body, status);
    sendHtml(
      res,
      <Page title={TITLES[status] ?? 'Error'} session={req.console}>
        {body}
        <p>
          <a href={req.console ? '/app' : '/app/login'}>{req.console ? 'Back to the dashboard' : 'Sign in'}</a>
        </p>
      </Page>,
      status,
    );
  };
}
