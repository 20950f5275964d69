import type { Express } from 'express';

/**
 * Every HTTP route of the API, as the hostile-input tests see it. `routes.test.ts` compares this
 * table with the routes the express app actually registers (and with the OpenAPI document), so a
 * route added without a fuzz entry fails the suite instead of going unfuzzed.
 */
export type RouteAuth = 'public' | 'client' | 'admin' | 'twilio' | 'billplz';
export type RouteBody = 'none' | 'json' | 'json-or-csv' | 'form';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  /** express syntax, `:id` for an id segment */
  path: string;
  auth: RouteAuth;
  body: RouteBody;
  /** the resource the `:id` names, for the tenant-isolation test */
  owns?: 'campaign' | 'call' | 'topup' | 'account' | 'key';
}

export const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/metrics', auth: 'public', body: 'none' },
  { method: 'GET', path: '/healthz', auth: 'public', body: 'none' },
  { method: 'GET', path: '/openapi.json', auth: 'public', body: 'none' },
  { method: 'POST', path: '/webhooks/twilio/status', auth: 'twilio', body: 'form' },
  { method: 'POST', path: '/webhooks/twilio/amd', auth: 'twilio', body: 'form' },
  { method: 'POST', path: '/webhooks/billplz', auth: 'billplz', body: 'form' },
  { method: 'GET', path: '/billing/return', auth: 'billplz', body: 'none' },
  { method: 'GET', path: '/v1/reports/summary', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/admin/reports/summary', auth: 'admin', body: 'none' },
  { method: 'POST', path: '/v1/admin/accounts', auth: 'admin', body: 'json' },
  { method: 'GET', path: '/v1/admin/accounts', auth: 'admin', body: 'none' },
  { method: 'GET', path: '/v1/admin/accounts/:id', auth: 'admin', body: 'none', owns: 'account' },
  { method: 'POST', path: '/v1/admin/accounts/:id/keys', auth: 'admin', body: 'json', owns: 'account' },
  { method: 'POST', path: '/v1/admin/keys/:id/revoke', auth: 'admin', body: 'none', owns: 'key' },
  { method: 'GET', path: '/v1/credits', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/credits/statement', auth: 'client', body: 'none' },
  { method: 'POST', path: '/v1/credits/topups', auth: 'client', body: 'json' },
  { method: 'GET', path: '/v1/credits/topups', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/credits/topups/:id', auth: 'client', body: 'none', owns: 'topup' },
  { method: 'POST', path: '/v1/campaigns', auth: 'client', body: 'json' },
  { method: 'GET', path: '/v1/campaigns', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/campaigns/:id', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'POST', path: '/v1/campaigns/:id/contacts', auth: 'client', body: 'json-or-csv', owns: 'campaign' },
  { method: 'POST', path: '/v1/campaigns/:id/start', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'POST', path: '/v1/campaigns/:id/pause', auth: 'client', body: 'json', owns: 'campaign' },
  { method: 'POST', path: '/v1/campaigns/:id/resume', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'POST', path: '/v1/campaigns/:id/cancel', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'GET', path: '/v1/campaigns/:id/calls', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'GET', path: '/v1/calls/:id', auth: 'client', body: 'none', owns: 'call' },
  { method: 'GET', path: '/v1/calls/:id/recording', auth: 'client', body: 'none', owns: 'call' },
  { method: 'GET', path: '/v1/recordings/retention', auth: 'client', body: 'none' },
  { method: 'PUT', path: '/v1/recordings/retention', auth: 'client', body: 'json' },
];

export const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

interface LayerLike {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/**
 * The routes the app registers, read from express 5's router stack (router 2.x keeps each layer's
 * mount path as `rawPath`). Catch-all middleware (`/admin` 404s, body parsers) has no `route`.
 */
export function registeredRoutes(app: Express): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== '_all') out.push({ method: m.toUpperCase(), path: prefix + layer.route.path });
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  const router = (app as unknown as { router: { stack: LayerLike[] } }).router;
  walk(router.stack, '');
  return out;
}

/** `/v1/campaigns/{id}` (OpenAPI) → `/v1/campaigns/:id` (express). */
export const fromOpenApiPath = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');
