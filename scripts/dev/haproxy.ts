import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * HAProxy in front of the API and media-gateway replicas, as a public load balancer would be.
 *
 * - Health: GET /healthz every second; an instance is out after 2 failures. A failure is no answer,
 *   or a body saying "draining" (a process that got SIGTERM says so first, then keeps serving until
 *   the balancer has stopped sending it work). A 503 "degraded" (Postgres or Temporal unreachable)
 *   keeps the instance in: the dependency is shared, so taking every instance out would only turn
 *   a partial outage into a total one.
 * - API: round robin; a request is re-sent to another instance only when the connection failed
 *   (never after the server may have acted on it).
 * - Media: WebSocket upgrades (Twilio Media Streams), least connections; a 503 from a draining
 *   gateway is re-sent elsewhere (it refuses before reading the stream), and a stream lives as a
 *   tunnel for up to an hour.
 */
export interface BalancerPlan {
  apiPort: number;
  mediaPort: number;
  apis: { name: string; port: number }[];
  gateways: { name: string; port: number }[];
  /** Admin socket (enable/disable servers, show stat). */
  socketPath: string;
}

export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY_BIN);
}

export function haproxyConfig(p: BalancerPlan): string {
  const server = (s: { name: string; port: number }) => `  server ${s.name} 127.0.0.1:${s.port} check`;
  return [
    'global',
    '  maxconn 4000',
    `  stats socket ${p.socketPath} mode 600 level admin`,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 70s',
    '  timeout server 70s',
    '  timeout check 3s',
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '  option redispatch 1',
    '  default-server inter 1s fall 2 rise 1',
    '',
    'frontend api',
    `  bind 127.0.0.1:${p.apiPort}`,
    '  option forwardfor',
    '  default_backend api',
    '',
    'backend api',
    '  balance roundrobin',
    '  option httpchk GET /healthz',
    '  http-check expect ! string draining',
    '  retry-on conn-failure',
    '  retries 3',
    ...p.apis.map(server),
    '',
    'frontend media',
    `  bind 127.0.0.1:${p.mediaPort}`,
    '  default_backend media',
    '',
    'backend media',
    '  balance leastconn',
    '  option httpchk GET /healthz',
    '  http-check expect ! string draining',
    '  retry-on conn-failure 503',
    '  retries 3',
    ...p.gateways.map(server),
    '',
  ].join('\n');
}

/** Writes the config into `dataDir` and returns haproxy's command line (foreground, config checked). */
export function writeHaproxyConfig(dataDir: string, plan: BalancerPlan): { cfg: string; args: string[] } {
  const cfg = path.join(dataDir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(plan));
  // -db: stay in the foreground (our process group); -W would fork a master we do not need.
  return { cfg, args: ['-db', '-f', cfg] };
}

export interface ServerStat {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, NOLB (draining)… */
  status: string;
  /** Sessions (requests or streams) it has been given in total. */
  sessions: number;
  /** Sessions open now. */
  current: number;
}

/** `show stat` on HAProxy's admin socket: one row per server of every backend. */
export async function haproxyStats(socketPath: string): Promise<ServerStat[]> {
  const { createConnection } = await import('node:net');
  const csv = await new Promise<string>((resolve, reject) => {
    let out = '';
    const c = createConnection(socketPath, () => c.write('show stat\n'));
    c.setEncoding('utf8');
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const cols = header!.split(',');
  const at = (name: string) => cols.indexOf(name);
  return rows
    .map((r) => r.split(','))
    .filter((f) => f[at('svname')] !== 'FRONTEND' && f[at('svname')] !== 'BACKEND')
    .map((f) => ({
      backend: f[at('pxname')]!,
      server: f[at('svname')]!,
      status: f[at('status')]!,
      sessions: Number(f[at('stot')]),
      current: Number(f[at('scur')]),
    }));
}
