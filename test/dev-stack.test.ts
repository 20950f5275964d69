import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { withDatabase } from '../lib/db';
import { dropDatabase } from '../lib/migrate';
import { freePort } from './helpers/ports';
import { processesWithMarker } from './helpers/processes';

describe('npm run dev', () => {
  // Its eleven ports are picked free before the stack binds them, while another test file runs beside
  // it: once in three full CI runs the API exited at start-up, likely a port taken in between (cause
  // unproven; since 61ebf5b the error carries the process's log tail). A second try picks new ports;
  // a stack that cannot start twice still fails.
  it(
    'brings the stack up on embedded defaults, reports health, and Ctrl-C leaves no process behind',
    { timeout: 120_000, retry: 1 },
    async () => {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'aicall-dev-'));
      const marker = `AICALL_DEV_TEST_MARKER=${randomUUID()}`;
      const databaseUrl = withDatabase(inject('databaseUrl'), `aicall_dev_${randomUUID().slice(0, 8)}`);
      const [
        temporalPort,
        uiPort,
        apiPort,
        gwPort,
        metricsPort,
        twilioPort,
        billplzPort,
        azurePort,
        openrouterPort,
        elevenlabsPort,
        dialerMetricsPort,
      ] = await Promise.all(Array.from({ length: 11 }, () => freePort()));
      const env = {
        ...process.env,
        AICALL_DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_DEV_SERVER: '1',
        TEMPORAL_UI_PORT: String(uiPort),
        API_PORT: String(apiPort),
        MEDIA_GATEWAY_PORT: String(gwPort),
        WORKER_METRICS_PORT: String(metricsPort),
        SIM_TWILIO_PORT: String(twilioPort),
        SIM_BILLPLZ_PORT: String(billplzPort),
        SIM_AZURE_SPEECH_PORT: String(azurePort),
        SIM_OPENROUTER_PORT: String(openrouterPort),
        SIM_ELEVENLABS_PORT: String(elevenlabsPort),
        DIALER_METRICS_PORT: String(dialerMetricsPort),
        [marker.split('=')[0]!]: marker.split('=')[1]!,
      };
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setInterval(() => {
            if (out.includes('Ctrl-C stops everything')) (clearInterval(t), resolve());
          }, 200);
          void exited.then(() => (clearInterval(t), reject(new Error(`dev exited early:\n${out}`))));
          setTimeout(() => (clearInterval(t), reject(new Error(`dev not up after 90 s:\n${out}`))), 90_000);
        });
        expect(out).toContain(`http://localhost:${apiPort}`);
        expect(out).toContain(`http://localhost:${uiPort}`);

        const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
        expect(health.status).toBe(200);
        const body = (await health.json()) as { postgres: { ok: boolean }; temporal: { ok: boolean } };
        expect(body.postgres.ok).toBe(true);
        expect(body.temporal.ok).toBe(true);

        const ns = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces`)).json()) as {
          namespaces: { namespaceInfo: { name: string } }[];
        };
        expect(ns.namespaces.map((n) => n.namespaceInfo.name)).toContain('default');

        const gw = await fetch(`http://127.0.0.1:${gwPort}/healthz`);
        expect(gw.status).toBe(200);

        expect((await processesWithMarker(marker)).length).toBeGreaterThan(2);
        child.kill('SIGINT');
        // On failure the dev script's own output says which process ended first, and why.
        expect(await exited, out).toBe(0);
        expect(await processesWithMarker(marker)).toEqual([]);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        for (const pid of await processesWithMarker(marker)) process.kill(pid, 'SIGKILL');
        await rm(dataDir, { recursive: true, force: true });
        await dropDatabase(databaseUrl);
      }
    },
  );
});
