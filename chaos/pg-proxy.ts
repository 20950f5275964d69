import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the stack and Postgres, so a run can take the database away from the stack
 * (and only from it: the server, other databases and the driver's own checks are untouched). `cut`
 * stops listening and resets every open connection, as a network partition or a database failover
 * looks to a client; `restore` listens again on the same port.
 */
export interface PgProxy {
  port: number;
  /** True while cut. */
  readonly down: boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(target: { host: string; port: number }, port = 0): Promise<PgProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let down = false;
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(p, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as { port: number }).port);
      });
    });
  const bound = await listen(port);
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.resetAndDestroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  return {
    port: bound,
    get down() {
      return down;
    },
    async cut() {
      down = true;
      await stop();
    },
    async restore() {
      if (!down) return;
      await listen(bound);
      down = false;
    },
    close: stop,
  };
}
