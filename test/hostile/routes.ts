import type { Express } from 'express';

/**
 * Every HTTP route of the API, as the hostile-input tests see it. `routes.test.ts` compares this
 * table with the routes the express app actually registers (and with the OpenAPI document), so a
 * route added without a fuzz entry fails the suite instead of going unfuzzed.
 */
export type RouteAuth = 'public' | 'client' | 'admin' | 'twilio' | 'billplz' | 'console';
export type RouteBody = 'none' | 'json' | 'json-or-csv' | 'form' | 'form-or-multipart';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** express syntax, `:id` for an id segment */
  path: string;
  auth: RouteAuth;
  body: RouteBody;
  /** the resource the `:id` names, for the tenant-isolation test */
  owns?: 'campaign' | 'call' | 'topup' | 'account' | 'key' | 'webhook' | 'spareWebhook' | 'delivery';
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
  // integrations: webhooks, do-not-call, template preview
  { method: 'POST', path: '/v1/webhooks/endpoints', auth: 'client', body: 'json' },
  { method: 'GET', path: '/v1/webhooks/endpoints', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/webhooks/endpoints/:id', auth: 'client', body: 'none', owns: 'webhook' },
  { method: 'PATCH', path: '/v1/webhooks/endpoints/:id', auth: 'client', body: 'json', owns: 'webhook' },
  { method: 'DELETE', path: '/v1/webhooks/endpoints/:id', auth: 'client', body: 'none', owns: 'spareWebhook' },
  { method: 'POST', path: '/v1/webhooks/endpoints/:id/rotate-secret', auth: 'client', body: 'json', owns: 'webhook' },
  { method: 'GET', path: '/v1/webhooks/endpoints/:id/deliveries', auth: 'client', body: 'none', owns: 'webhook' },
  { method: 'GET', path: '/v1/webhooks/deliveries/:id', auth: 'client', body: 'none', owns: 'delivery' },
  { method: 'POST', path: '/v1/webhooks/deliveries/:id/redeliver', auth: 'client', body: 'none', owns: 'delivery' },
  { method: 'GET', path: '/v1/suppressions', auth: 'client', body: 'none' },
  { method: 'POST', path: '/v1/suppressions', auth: 'client', body: 'json-or-csv' },
  { method: 'GET', path: '/v1/suppressions/:phone', auth: 'client', body: 'none' },
  { method: 'DELETE', path: '/v1/suppressions/:phone', auth: 'client', body: 'none' },
  { method: 'GET', path: '/v1/admin/suppressions', auth: 'admin', body: 'none' },
  { method: 'POST', path: '/v1/admin/suppressions', auth: 'admin', body: 'json-or-csv' },
  { method: 'GET', path: '/v1/admin/suppressions/:phone', auth: 'admin', body: 'none' },
  { method: 'DELETE', path: '/v1/admin/suppressions/:phone', auth: 'admin', body: 'none' },
  { method: 'GET', path: '/v1/campaigns/:id/preview', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'GET', path: '/v1/campaigns/:id/analysis', auth: 'client', body: 'none', owns: 'campaign' },
  { method: 'PUT', path: '/v1/campaigns/:id/analysis', auth: 'client', body: 'json', owns: 'campaign' },
  // media: a call's recording (audio, byte ranges) and the account's retention
  { method: 'GET', path: '/v1/calls/:id/recording', auth: 'client', body: 'none', owns: 'call' },
  { method: 'GET', path: '/v1/recordings/retention', auth: 'client', body: 'none' },
  { method: 'PUT', path: '/v1/recordings/retention', auth: 'client', body: 'json' },
  // the operator console (issue 14): cookie sessions and CSRF tokens, not API keys; its sign-in,
  // CSRF, throttling and tenancy are tested in test/console
  { method: 'GET', path: '/app/assets/:file', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/login', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/login', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/logout', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/set-password', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/set-password', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/login-link', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/credits', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/credits/topups', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/credits/topups/:id', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/credits/topups/:id/status', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/credits/statement.csv', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/campaigns', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/campaigns/list', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/campaigns/new', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/campaigns/new', auth: 'console', body: 'form-or-multipart' },
  { method: 'GET', path: '/app/campaigns/:id', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/campaigns/:id/start', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/campaigns/:id/pause', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/campaigns/:id/resume', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/campaigns/:id/cancel', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/campaigns/:id/live', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/calls', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/calls.csv', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/calls/:id', auth: 'console', body: 'none' },
  { method: 'GET', path: '/app/alerts', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/alerts/settings', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/keys', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/keys', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/keys/:id/revoke', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/team', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/team', auth: 'console', body: 'form' },
  { method: 'GET', path: '/app/admin', auth: 'console', body: 'none' },
  { method: 'POST', path: '/app/admin/accounts', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/admin/accounts/:id/suspend', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/admin/accounts/:id/activate', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/admin/accounts/:id/credit', auth: 'console', body: 'form' },
  { method: 'POST', path: '/app/admin/accounts/:id/invite', auth: 'console', body: 'form' },
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
