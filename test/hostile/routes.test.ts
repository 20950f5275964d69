import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { openApiDocument } from '../../api/openapi';
import { testContext, testLogger } from '../helpers/env';
import { fromOpenApiPath, registeredRoutes, routeKey, ROUTES } from './routes';

/**
 * The fuzz covers what ROUTES lists. These checks make a route added to the app (or to the
 * OpenAPI document) without an entry there fail the suite, so nothing ships unfuzzed.
 */
describe('route inventory', () => {
  it('ROUTES is exactly the set of routes the express app registers', async () => {
    const ctx = await testContext();
    const app = createApp({ sql: ctx.sql, temporal: ctx.client, config: ctx.config, log: testLogger() });
    const registered = registeredRoutes(app).map(routeKey).sort();
    expect(registered.length).toBeGreaterThan(20);
    expect(registered).toEqual(ROUTES.map(routeKey).sort());
  });

  it('every /v1 route is in the OpenAPI document, and the document names no route that does not exist', () => {
    const doc = openApiDocument();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => routeKey({ method: m, path: fromOpenApiPath(p) })),
    );
    const v1 = ROUTES.filter((r) => r.path.startsWith('/v1/')).map(routeKey);
    expect(documented.sort()).toEqual(v1.sort());
  });
});
