import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { ConfigError, loadConfig, type Config } from '../../lib/config';
import { connectTemporal, temporalConnectionOptions } from '../../lib/temporal';
import { connectWorkerToTemporal } from '../../workers/connection';
import { createOrchestratorWorker } from '../../workers/orchestrator';
import { createDialerWorker } from '../../workers/dialer';
import { testContext } from '../helpers/env';
import { createTestCa, type TestCa } from './certs';

/**
 * Temporal beyond one machine: the run's dev server behind a TLS-terminating proxy on loopback
 * that demands a client certificate (mTLS) signed by a throwaway CA. The client, the orchestrator
 * worker and the dialer worker connect through it with the settings a deployment would use, and
 * a workflow runs end to end; a wrong CA, a missing client certificate and half a configuration
 * are refused with errors that say what to fix.
 */
const SERVER_NAME = 'temporal.test';
let ca: TestCa;
let proxy: tls.Server;
let proxyAddress: string;
const handshakes: { authorized: boolean; clientCn?: string }[] = [];
let dir: string;

beforeAll(async () => {
  ca = createTestCa();
  const server = ca.issue({ cn: SERVER_NAME, server: true, dns: [SERVER_NAME] });
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  proxy = tls.createServer(
    { cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      const peer = socket.getPeerCertificate();
      handshakes.push({
        authorized: socket.authorized,
        clientCn: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined,
      });
      const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
      socket.on('close', end);
      upstream.on('close', end);
    },
  );
  proxy.on('tlsClientError', () => {});
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyAddress = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), 'aicall-tls-'));
});
afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
});

async function tlsConfig(over: Record<string, string> = {}): Promise<Config> {
  const ctx = await testContext();
  const client = ca.issue({ cn: 'aicall-worker' });
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client.key') };
  await writeFile(files.ca, ca.cert);
  await writeFile(files.cert, client.cert);
  await writeFile(files.key, client.key);
  return loadConfig({
    ...process.env,
    DATABASE_URL: ctx.databaseUrl,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: proxyAddress,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert,
    // inline PEM, as a platform with secrets in environment variables would pass it
    TEMPORAL_TLS_CLIENT_KEY_DATA: client.key,
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    // the dialer worker needs a Twilio to be configured; nothing is dialed here
    TWILIO_API_BASE: 'http://127.0.0.1:9',
    ...over,
  } as NodeJS.ProcessEnv);
}

describe('Temporal over mTLS', () => {
  it('the client, the orchestrator worker and the dialer worker connect through the TLS proxy, and a workflow runs', async () => {
    const config = await tlsConfig({
      ORCHESTRATION_TASK_QUEUE: `tls-${randomUUID()}`,
      DIALER_TASK_QUEUE: `tls-dialer-${randomUUID()}`,
    });
    const before = handshakes.length;
    const client = await connectTemporal(config);
    const orchestrator = await createOrchestratorWorker(config, {
      workflowsPath: undefined,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const dialer = await createDialerWorker(config);
    try {
      const running = Promise.all([orchestrator.worker.run(), dialer.worker.run()]);
      const result = await client.workflow.execute('systemCheckWorkflow', {
        taskQueue: config.ORCHESTRATION_TASK_QUEUE,
        workflowId: `tls-check-${randomUUID()}`,
      });
      expect(Date.parse((result as { databaseTime: string }).databaseTime)).not.toBeNaN();
      // the dialer polls its queue through the proxy too
      await expect
        .poll(
          async () => {
            const d = await client.workflowService.describeTaskQueue({
              namespace: config.TEMPORAL_NAMESPACE,
              taskQueue: { name: config.DIALER_TASK_QUEUE },
              taskQueueType: 2,
            });
            return d.pollers?.length ?? 0;
          },
          { timeout: 15_000 },
        )
        .toBeGreaterThan(0);
      orchestrator.worker.shutdown();
      dialer.worker.shutdown();
      await running;
    } finally {
      await orchestrator.close();
      await dialer.close();
      await client.connection.close();
    }
    const ours = handshakes.slice(before);
    // client, the orchestrator's worker and client connections, the dialer's: each with a verified client certificate
    expect(ours.length).toBeGreaterThanOrEqual(4);
    expect(ours.every((h) => h.authorized && h.clientCn === 'aicall-worker')).toBe(true);
  });

  it('a server certificate from another CA is refused by the client and by the worker, with an error that names the CA setting', async () => {
    const other = createTestCa('some other CA');
    const config = await tlsConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '', TEMPORAL_TLS_SERVER_CA_CERT_DATA: other.cert });
    const clientErr = await connectTemporal(config).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(clientErr?.message).toMatch(
      new RegExp(
        `^cannot connect to Temporal at ${proxyAddress} \\(TLS, server name ${SERVER_NAME}, CA from TEMPORAL_TLS_SERVER_CA_CERT_DATA, client certificate\\)`,
      ),
    );
    expect(clientErr?.message).toMatch(/check TEMPORAL_TLS_SERVER_CA_CERT_\* \(the CA that signed it\)/);
    expect(clientErr?.message).toMatch(/TLS handshake failed: self-signed certificate in certificate chain/);
    const workerErr = await connectWorkerToTemporal(config).then(
      (c) => c.close().then(() => undefined),
      (e: Error) => e,
    );
    expect(workerErr?.message).toMatch(/^cannot connect to Temporal at .*CA from TEMPORAL_TLS_SERVER_CA_CERT_DATA/);
    expect(workerErr?.message).toMatch(/UnknownIssuer/);
    expect(workerErr?.message).toMatch(/certificate/i);
  });

  it('the proxy refuses a client without a certificate: mTLS is what lets it in', async () => {
    const config = await tlsConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_DATA: '' });
    const err = await connectTemporal(config).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^cannot connect to Temporal at .*\(TLS, server name temporal\.test, CA from TEMPORAL_TLS_SERVER_CA_CERT_PATH .*\)/,
    );
    expect(err?.message).toMatch(
      /alert certificate required.* — the server did not accept our client certificate: check TEMPORAL_TLS_CLIENT_CERT_\*/s,
    );
  });
});

describe('Temporal connection settings', () => {
  const base = { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct' };
  const opts = (env: Record<string, string>) => temporalConnectionOptions(loadConfig({ ...base, ...env } as NodeJS.ProcessEnv));

  it('plain TCP by default; an API key alone means TLS with the system CAs (Temporal Cloud)', () => {
    expect(opts({})).toEqual({ address: base.TEMPORAL_ADDRESS, tls: false });
    expect(opts({ TEMPORAL_API_KEY: 'secret' })).toEqual({ address: base.TEMPORAL_ADDRESS, tls: {}, apiKey: 'secret' });
    expect(opts({ TEMPORAL_API_KEY: 'secret', TEMPORAL_TLS: 'false' }).tls).toBe(false);
    expect(opts({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
  });

  it('refuses half a configuration with a message naming the variables', async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'aicall-tls-cfg-'));
    const c = ca.issue({ cn: 'x' });
    await writeFile(path.join(d, 'c.pem'), c.cert);
    expect(() => opts({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(d, 'c.pem') })).toThrow(
      /half-configured: a client certificate without its key/,
    );
    expect(() => opts({ TEMPORAL_TLS_CLIENT_KEY_DATA: c.key })).toThrow(/a client key without its certificate/);
    expect(() =>
      opts({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(d, 'c.pem'), TEMPORAL_TLS_SERVER_CA_CERT_DATA: ca.cert }),
    ).toThrow(/both set: set one/);
    expect(() => opts({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(d, 'missing.pem') })).toThrow(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read/,
    );
    expect(() => opts({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'not a pem' })).toThrow(/not PEM/);
    expect(() => opts({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_TLS: 'yes' } as NodeJS.ProcessEnv)).toThrow(/TEMPORAL_TLS/);
  });
});
