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
    /** More top-level fields of the error body, e.g. `status` on a 409 about a resource's state. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `${what} not found`);

export function zodIssues(err: ZodError) {
  return err.issues.map((i) => ({
    field: i.path.join('.') || '(body)',
    // zod's "expected object, received array" says it in its own words; say what to send
    message: !i.path.length && i.code === 'invalid_type' && i.expected === 'object' ? 'a JSON object is expected' : i.message,
  }));
}

/** What a body that parsed as JSON but is not an object is, for the error message. */
function notAnObject(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return v === null ? '`null`' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
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
      res
        .status(err.status)
        .json({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}), ...err.extra });
      return;
    }
    if (err instanceof ZodError) {
      const issues = zodIssues(err);
      res
        .status(400)
        .json({ error: 'validation_failed', message: issues.map((i) => `${i.field}: ${i.message}`).join('; '), details: issues });
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
      const code =
        err.type === 'entity.too.large'
          ? 'payload_too_large'
          : err.type === 'entity.parse.failed'
            ? 'malformed_body'
            : 'bad_request';
      // express.json takes objects and arrays only: `null`, `"x"` or `1` fail as a parse error
      const what = err.type === 'entity.parse.failed' ? notAnObject(err.body) : undefined;
      const message = what
        ? `a JSON object is expected, not ${what}`
        : err.type === 'entity.parse.failed'
          ? `the body is not valid JSON: ${err.message}`
          : err.expose
            ? err.message
            : code.replace(/_/g, ' ');
      res.status(status).json({ error: code, message });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
}
