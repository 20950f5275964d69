/**
 * The demo talks to the stack as a client would: over the public API with an API key. A small
 * fetch wrapper that turns non-2xx answers into errors carrying the API's message, and waits out
 * 429s (the API rate-limits per key) instead of failing the demo.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: unknown, message: string) {
    super(message);
  }
}

export interface Api {
  origin: string;
  get<T = any>(path: string): Promise<T>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function apiClient(origin: string, key: string): Api {
  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(origin + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let json: any;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (res.status === 429 && attempt < 20) {
        const wait = Number(res.headers.get('retry-after') ?? 1);
        await new Promise((r) => setTimeout(r, Math.max(0.2, Math.min(wait, 5)) * 1000));
        continue;
      }
      if (!res.ok) throw new ApiError(res.status, json ?? text, `${method} ${path}: ${res.status} ${json?.message ?? text.slice(0, 200)}`);
      return json as T;
    }
  }
  return {
    origin,
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body ?? {}, headers),
  };
}
