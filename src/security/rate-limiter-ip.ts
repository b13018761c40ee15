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

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded IPv4 read). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Eight groups as RFC 5952 text: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: readonly number[]): string => part.map((g) => g.toString(16)).join(':');
  if (best === -1) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}

/**
 * The `/bits` network an IPv6 address belongs to, as `2001:db8:aa:bb00::/56` — what a rate limit
 * keys on, since one subscriber usually holds a whole /56 or /64 and could rotate through its
 * addresses. IPv4 addresses (and anything else) come back as given.
 *
 * @example
 * ipv6Subnet('2001:db8:aa:bbcc::1', 56) // '2001:db8:aa:bb00::/56'
 */
export function ipv6Subnet(address: string, bits: number): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  for (let i = 0; i < 8; i++) {
    const keep = Math.min(16, Math.max(0, bits - i * 16));
    groups[i] = keep === 0 ? 0 : (groups[i] ?? 0) & ((0xffff << (16 - keep)) & 0xffff);
  }
  return `${formatIpv6(groups)}/${bits}`;
}
