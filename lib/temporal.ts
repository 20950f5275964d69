import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError, type Config } from './config';

/**
 * How every process reaches Temporal: the client (API, media gateway, orchestrator's own client)
 * here, the workers' NativeConnection in workers/connection.ts, both from the same options.
 *
 * Plain TCP to a dev server by default. For Temporal Cloud or a secured self-hosted cluster:
 * TEMPORAL_API_KEY (sent as `Authorization: Bearer`), and/or mTLS with a client certificate and key,
 * the server's CA and the server name. The variables are those of Temporal's own client
 * environment configuration, with its rules: an API key or any TLS setting turns TLS on,
 * TEMPORAL_TLS=false turns it off, a file (…_PATH) or inline PEM (…_DATA) but not both.
 */
export type TemporalConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_CERT_DATA'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_DATA'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

export interface TemporalConnectionOptions {
  address: string;
  /** false: plain TCP */
  tls: TLSConfig | false;
  apiKey?: string;
}

type Pem = 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT';

/** A PEM from its file or inline text; a start-up error naming the variable when it cannot be read. */
function pem(config: Partial<TemporalConfig>, name: Pem): Buffer | undefined {
  const path = config[`TEMPORAL_TLS_${name}_PATH`];
  const data = config[`TEMPORAL_TLS_${name}_DATA`];
  if (path && data) throw new ConfigError(`TEMPORAL_TLS_${name}_PATH and TEMPORAL_TLS_${name}_DATA are both set: set one`);
  let text: string | undefined = data;
  if (path) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`TEMPORAL_TLS_${name}_PATH: cannot read ${path}: ${(err as Error).message}`);
    }
  }
  if (text === undefined) return undefined;
  if (!text.includes('-----BEGIN '))
    throw new ConfigError(`TEMPORAL_TLS_${name}_${path ? 'PATH' : 'DATA'}: not PEM (no -----BEGIN line)`);
  return Buffer.from(text);
}

export function temporalConnectionOptions(config: TemporalConfig): TemporalConnectionOptions {
  const crt = pem(config, 'CLIENT_CERT');
  const key = pem(config, 'CLIENT_KEY');
  const ca = pem(config, 'SERVER_CA_CERT');
  if (!!crt !== !!key) {
    throw new ConfigError(
      `Temporal mTLS is half-configured: a client ${crt ? 'certificate without its key' : 'key without its certificate'}. Set both TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*, or neither.`,
    );
  }
  const anyTls = !!(crt || ca || config.TEMPORAL_TLS_SERVER_NAME || config.TEMPORAL_API_KEY);
  const on = config.TEMPORAL_TLS === 'true' || (config.TEMPORAL_TLS !== 'false' && anyTls);
  if (!on && (crt || ca || config.TEMPORAL_TLS_SERVER_NAME)) {
    throw new ConfigError(
      'TEMPORAL_TLS=false, but TLS certificates or a server name are set: remove them or the TEMPORAL_TLS=false',
    );
  }
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: on
      ? {
          ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
          ...(ca ? { serverRootCACertificate: ca } : {}),
          ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        }
      : false,
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

/** What was tried, for a connection error: the address, and how (TLS, server name, CA, client cert, API key). */
export function describeTemporalTarget(config: TemporalConfig): string {
  const o = temporalConnectionOptions(config);
  if (!o.tls) return `${o.address} (plain TCP${o.apiKey ? ', API key' : ''})`;
  const how = [
    'TLS',
    o.tls.serverNameOverride ? `server name ${o.tls.serverNameOverride}` : undefined,
    o.tls.serverRootCACertificate
      ? `CA from TEMPORAL_TLS_SERVER_CA_CERT_${config.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? `PATH ${config.TEMPORAL_TLS_SERVER_CA_CERT_PATH}` : 'DATA'}`
      : 'the system CAs',
    o.tls.clientCertPair ? 'client certificate' : undefined,
    o.apiKey ? 'API key' : undefined,
  ].filter(Boolean);
  return `${o.address} (${how.join(', ')})`;
}

/**
 * Why a TLS connection fails, found by a handshake of our own with the same settings: the SDKs
 * report only "failed to connect before the deadline". undefined when the handshake succeeds.
 */
export async function probeTls(options: TemporalConnectionOptions, timeoutMs = 5_000): Promise<string | undefined> {
  if (!options.tls) return undefined;
  const t = options.tls;
  const i = options.address.lastIndexOf(':');
  const host = options.address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(options.address.slice(i + 1)) || 7233;
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ALPNProtocols: ['h2'],
      servername: t.serverNameOverride ?? (net.isIP(host) ? undefined : host),
      ...(t.serverNameOverride
        ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(t.serverNameOverride!, cert) }
        : {}),
      ...(t.serverRootCACertificate ? { ca: Buffer.from(t.serverRootCACertificate) } : {}),
      ...(t.clientCertPair ? { cert: Buffer.from(t.clientCertPair.crt), key: Buffer.from(t.clientCertPair.key) } : {}),
    });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(`TLS handshake failed: ${err.message}${err.code ? ` (${err.code})` : ''}`),
    );
    // with TLS 1.3 the server judges the client's certificate after our side is done: wait for its verdict
    socket.on('secureConnect', () => setTimeout(() => done(undefined), 300));
  });
}

/** A connection error that says where and how it tried, why (from probeTls), and what to check. */
export async function temporalConnectError(config: TemporalConfig, err: unknown): Promise<Error> {
  const options = temporalConnectionOptions(config);
  let cause = err instanceof Error ? err.message : String(err);
  const handshake = await probeTls(options).catch(() => undefined);
  if (handshake) cause = `${handshake}; the SDK said: ${cause}`;
  const hint = !options.tls
    ? ''
    : /certificate|UnknownIssuer|unknown ca|self[- ]signed|verify|altnames|Hostname/i.test(handshake ?? '') &&
        !/certificate required/i.test(handshake ?? '')
      ? " — the server's certificate was not accepted: check TEMPORAL_TLS_SERVER_CA_CERT_* (the CA that signed it) and TEMPORAL_TLS_SERVER_NAME (a name it carries)"
      : /certificate required|bad certificate|unknown ca|alert/i.test(handshake ?? '')
        ? ' — the server did not accept our client certificate: check TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*'
        : '';
  return new Error(`cannot connect to Temporal at ${describeTemporalTarget(config)}: ${cause}${hint}`, { cause: err });
}

export async function connectTemporalClient(config: TemporalConfig): Promise<Connection> {
  try {
    return await Connection.connect(temporalConnectionOptions(config));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw await temporalConnectError(config, err);
  }
}

export async function connectTemporal(config: TemporalConfig): Promise<Client> {
  const connection = await connectTemporalClient(config);
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
