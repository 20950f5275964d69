import { describe, expect, it, inject } from 'vitest';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { freePort } from '../helpers/ports';

/**
 * The API's drain (SIGTERM in api/server.ts): /healthz says "draining" at once while requests are
 * still served, then the listener closes (new connections are refused, the balancer has moved on),
 * and a request already in flight — here one whose body is still arriving — is finished and
 * answered before the process exits 0.
 */
describe('API drain on SIGTERM', () => {
  it('fails its health check first, stops accepting, finishes the request in flight, exits 0', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: inject('databaseUrl'),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        API_PORT: String(port),
        DRAIN_HEALTH_DELAY_MS: '1000',
        API_DRAIN_TIMEOUT_MS: '20000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    api.stdout.on('data', (d) => (out += d));
    api.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => api.once('exit', (c) => r(c)));
    const url = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 60_000;
      while (
        !(await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline || api.exitCode !== null) throw new Error(`API did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // A request in flight: its body is still arriving when the signal comes.
      const body = 'CallSid=CA123&CallStatus=completed';
      const inFlight = new Promise<number>((resolve, reject) => {
        const req = request(
          `${url}/webhooks/twilio/status?callId=00000000-0000-4000-8000-000000000000`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 2_500);
      });
      await new Promise((r) => setTimeout(r, 200));
      api.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.text()).toContain('draining');
      // Past the health delay: no new connections.
      await new Promise((r) => setTimeout(r, 1_300));
      await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
      // The request in flight was answered (the webhook's own verdict on it), not cut.
      const status = await inFlight;
      expect(status, out).toBeGreaterThanOrEqual(200);
      expect(status, out).toBeLessThan(500);
      expect(await exited, out).toBe(0);
    } finally {
      if (api.exitCode === null) api.kill('SIGKILL');
    }
  }, 90_000);
});
