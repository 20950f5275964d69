import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { keepIdleConnectionsLonger } from '../../api/keep-alive';
import type { TestContext } from './env';
import { testLogger } from './env';

/** The real express app on an ephemeral port, against the run's database and Temporal. */
export async function startTestApi(ctx: TestContext, configOverrides: Partial<TestContext['config']> = {}) {
  const app = createApp({ sql: ctx.sql, temporal: ctx.client, config: { ...ctx.config, ...configOverrides }, log: testLogger() });
  const server = keepIdleConnectionsLonger(app.listen(0, '127.0.0.1'));
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (
    method: string,
    path: string,
    opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json, text, headers: res.headers };
  };
  return {
    url,
    call,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
