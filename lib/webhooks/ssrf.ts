import { BlockList, isIP, type LookupFunction } from 'node:net';
import dns from 'node:dns';

/**
 * Outbound webhook requests go to public addresses only (SSRF guard). Three checks, because each
 * alone is bypassable:
 *   1. the URL: http(s), no credentials, a host (checkUrl, at endpoint creation and per attempt);
 *   2. an IP-literal host against the blocked ranges (Node's connect skips `lookup` for literals);
 *   3. every address a hostname resolves to, checked inside the socket's own `lookup`, so the
 *      address checked is the address connected to (no DNS-rebinding window between check and use).
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_URLS, development only) turns 2 and 3 off.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

export class BlockedDestinationError extends Error {
  override name = 'BlockedDestinationError';
}

/** True when `address` (v4 or v6 literal) is loopback, private, link-local or otherwise not public. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are judged as the IPv4 address they carry
    const mapped = /^(?:::ffff:|::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
    if (hexMapped) {
      const hi = parseInt(hexMapped[1]!, 16),
        lo = parseInt(hexMapped[2]!, 16);
      return blocked.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
    }
    return blocked.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

/** Checks the URL's form and, unless allowPrivate, an IP-literal host. Throws BlockedDestinationError with the reason. */
export function checkUrl(raw: string, opts: { allowPrivate: boolean }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BlockedDestinationError('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BlockedDestinationError(`only http and https URLs are allowed, not ${url.protocol.replace(':', '')}`);
  if (url.username || url.password)
    throw new BlockedDestinationError('credentials in the URL are not allowed; use the signing secret to authenticate');
  if (!url.hostname) throw new BlockedDestinationError('the URL has no host');
  if (!opts.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isBlockedAddress(host))
      throw new BlockedDestinationError(
        `${host} is not a public address (loopback, private, link-local and reserved ranges are refused)`,
      );
    if (/^localhost$|\.localhost$|\.local$|\.internal$/i.test(host))
      throw new BlockedDestinationError(`${host} is not a public host name`);
  }
  return url;
}

/** Resolves `hostname` and refuses it when any address is blocked (for the API's check at creation). */
export async function checkResolves(hostname: string, resolve: Resolver = dns.lookup as unknown as Resolver): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return;
  let addrs: { address: string }[];
  try {
    addrs = await new Promise((ok, fail) => resolve(host, { all: true, verbatim: true }, (e, a) => (e ? fail(e) : ok(a))));
  } catch (err) {
    throw new BlockedDestinationError(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
  }
  const bad = addrs.find((a) => isBlockedAddress(a.address));
  if (bad) throw new BlockedDestinationError(`${host} resolves to ${bad.address}, which is not a public address`);
}

/**
 * A `lookup` for net/tls.connect that resolves as usual and fails the connection when any resolved
 * address is blocked. Checking all (not only the one used) keeps a round-robin name from slipping a
 * private address in on a later attempt.
 */
export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

export function makeGuardedLookup(resolve: Resolver = dns.lookup as unknown as Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true, verbatim: true }, (err, list) => {
      if (err) return (callback as (e: Error) => void)(err);
      const bad = list.find((a) => isBlockedAddress(a.address));
      if (bad)
        return (callback as (e: Error) => void)(
          new BlockedDestinationError(`${hostname} resolves to ${bad.address}, which is not a public address`),
        );
      if (!list.length)
        return (callback as (e: Error) => void)(new BlockedDestinationError(`${hostname} resolves to no address`));
      if (options.all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}

export const guardedLookup: LookupFunction = makeGuardedLookup();
