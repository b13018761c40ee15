import { BlockList, isIP } from 'node:net';
import { CovetError } from '../errors.js';
import type { Request } from '../request.js';

/**
 * `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) → `1.2.3.4`; other addresses as given.
 *
 * @example
 * normalizeIp('::ffff:203.0.113.7') // '203.0.113.7'
 */
export function normalizeIp(address: string): string {
  const trimmed = address.trim();
  if (trimmed.length > 7 && trimmed.slice(0, 7).toLowerCase() === '::ffff:' && isIP(trimmed.slice(7)) === 4) return trimmed.slice(7);
  return trimmed;
}

/**
 * A set of IPv4 and IPv6 addresses and CIDR ranges (`192.168.1.0/24`, `2001:db8::/32`, `10.0.0.1`),
 * matched with `node:net`'s `BlockList`. IPv4-mapped IPv6 peers match their IPv4 ranges.
 *
 * @example
 * const trusted = new IPSet(['10.0.0.0/8', '::1']); trusted.has('10.1.2.3') // true
 */
export class IPSet {
  readonly #list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', bits, extra] = entry.trim().split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) throw new CovetError(`Not an IP address or CIDR range: ${entry}`, { code: 'ERR_IP_RANGE' });
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) {
        this.#list.addAddress(address, type);
        continue;
      }
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128))
        throw new CovetError(`Bad CIDR prefix length: ${entry}`, { code: 'ERR_IP_RANGE' });
      this.#list.addSubnet(address, prefix, type);
    }
    this.size = entries.length;
  }

  /** Whether `address` is in the set (`false` for anything that is not an IP address). */
  has(address: string): boolean {
    if (this.size === 0) return false;
    const ip = normalizeIp(address);
    const family = isIP(ip);
    if (family === 0) return false;
    return this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * The client's IP address: the TCP peer, unless the peer is a trusted proxy, in which case
 * `X-Forwarded-For` is read right to left and the first address that is not a trusted proxy
 * wins. Entries an untrusted client added on the left are never reached, and a peer that is not
 * a trusted proxy cannot set the address at all.
 *
 * @example
 * clientIp(req, new IPSet(['10.0.0.0/8'])) // '203.0.113.7' behind a 10.x load balancer
 */
export function clientIp(req: Request, trustedProxies: IPSet): string {
  const peer = normalizeIp(req.client.host);
  if (trustedProxies.size === 0 || !trustedProxies.has(peer)) return peer;
  const header = req.headers.get('x-forwarded-for');
  if (header === null) return peer;
  const hops = header.split(',');
  // Bounded: a header with thousands of hops is not walked past the first 32 from the right.
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < 32; i--, seen++) {
    const hop = normalizeIp(hops[i] ?? '');
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  // Every hop is a trusted proxy: the leftmost one made the request (unless the walk was cut short).
  return hops.length > 32 ? peer : normalizeIp(hops[0] ?? '') || peer;
}
