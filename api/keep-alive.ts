import type { Server } from 'node:http';

/**
 * Node closes an idle keep-alive connection after 5 s. A client (a load balancer, Twilio, or our
 * own tests) that reuses the socket just as the server closes it gets ECONNRESET on a request the
 * server never saw. Outlast the usual 60 s idle timeout of proxies and load balancers instead, so
 * the client side always closes first.
 */
export function keepIdleConnectionsLonger(server: Server): Server {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
