import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from 'pino';

/** An error with an HTTP status and a stable machine-readable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `${what} not found`);

export function zodIssues(err: ZodError) {
  return err.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/**
 * Every error becomes JSON `{ error, message, details? }`. Client mistakes are 4xx with a reason;
 * anything unexpected is a 500 that is logged with its stack but never echoed to the caller.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
      return;
    }
    if (err instanceof ZodError) {
      const issues = zodIssues(err);
      res.status(400).json({ error: 'validation_failed', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), details: issues });
      return;
    }
    // the router could not percent-decode a path parameter (e.g. %ED%A0%80, a lone surrogate)
    if (err instanceof URIError) {
      res.status(400).json({ error: 'malformed_path', message: 'the URL path is not valid percent-encoded UTF-8' });
      return;
    }
    // body-parser errors carry a status and a type
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = err.type === 'entity.too.large' ? 'payload_too_large' : err.type === 'entity.parse.failed' ? 'malformed_body' : 'bad_request';
      res.status(status).json({ error: code, message: err.expose ? err.message : code.replace(/_/g, ' ') });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
}
