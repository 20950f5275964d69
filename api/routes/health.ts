import { Router } from 'express';
import type { AppDeps } from '../app';

/** Liveness plus the status of what the API depends on. 503 when a dependency is down. */
export function healthRouter({ sql, temporal }: AppDeps): Router {
  const r = Router();
  r.get('/healthz', async (_req, res) => {
    const check = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      try {
        await Promise.race([fn(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout after 2000 ms')), 2000))]);
        return { ok: true, latencyMs: Math.round(performance.now() - t) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    };
    const [postgres, temporalStatus] = await Promise.all([
      check(() => sql`select 1`),
      check(() => temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = postgres.ok && temporalStatus.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', postgres, temporal: temporalStatus });
  });
  return r;
}
