import { Router } from 'express';
import { openApiDocument } from './contract';

/** Serves the contract (api/contract) as /openapi.json, built once at start-up. */
export function openApiRouter(opts: { origin?: string } = {}): Router {
  const r = Router();
  const doc = openApiDocument(opts);
  r.get('/openapi.json', (_req, res) => res.json(doc));
  return r;
}

export { openApiDocument };
