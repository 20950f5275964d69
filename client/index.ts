import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/**
 * The typed aicall API client: openapi-fetch over the types openapi-typescript generates from the
 * contract (client/schema.ts, `npm run contract:generate`). Paths, parameters, bodies and answers
 * are checked at compile time against the same document the API serves.
 */
export type { components, operations, paths };
export type Schemas = components['schemas'];
export type AicallClient = Client<paths>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** Per request, including the waits for 429s (default 30 s). */
  timeoutMs?: number;
  /** Retry a 429 after its Retry-After, at most this many times (default 20; 0 = never). */
  rateLimitRetries?: number;
}

/**
 * A client for `origin` (e.g. http://127.0.0.1:3000) authenticating with `apiKey`. A 429 (the API
 * limits each key's rate) is waited out and retried rather than surfaced, since every caller here
 * would only retry it.
 */
export function createAicallClient(origin: string, apiKey: string, opts: ClientOptions = {}): AicallClient {
  const retries = opts.rateLimitRetries ?? 20;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const fetchWithRetry = async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(request.clone(), { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 429 || attempt >= retries) return res;
      await res.body?.cancel();
      const wait = Number(res.headers.get('retry-after') ?? 1);
      await new Promise((r) => setTimeout(r, Math.max(0.2, Math.min(Number.isFinite(wait) ? wait : 1, 5)) * 1000));
    }
  };
  return createClient<paths>({
    baseUrl: origin.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${apiKey}` },
    fetch: fetchWithRetry,
  });
}

/**
 * The data of a successful answer, or an ApiError carrying the API's `{ error, message }`:
 * `const c = await ok(api.GET('/v1/campaigns/{id}', { params: { path: { id } } }))`.
 */
export async function ok<T, E>(call: Promise<{ data?: T; error?: E; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const message = (error as { message?: string } | undefined)?.message ?? response.statusText;
  throw new ApiError(
    response.status,
    error,
    `${response.url ? new URL(response.url).pathname : ''}: ${response.status} ${message}`,
  );
}
