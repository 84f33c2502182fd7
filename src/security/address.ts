/**
 * Which network addresses a webhook may target (unless HOOKSTREAM_ALLOW_PRIVATE_TARGETS=true).
 * Checked at registration (every address a name resolves to) and by the sender on the address it
 * actually connects to.
 *
 * IPv4: everything but loopback, private, link-local (incl. cloud metadata), CGNAT, multicast,
 * reserved, documentation and benchmarking ranges.
 * IPv6: only global unicast (2000::/3), minus the IETF special-purpose block 2001::/23 (incl.
 * Teredo 2001::/32, whose embedded IPv4 is obfuscated), documentation (2001:db8::/32, 3fff::/20)
 * and 6to4 (2002::/16) whose embedded IPv4 is not allowed; outside 2000::/3 only well-known NAT64
 * (64:ff9b::/96) with an allowed embedded IPv4. So ::/96, ::ffff:0:0/96, 64:ff9b:1::/48, fc00::/7,
 * fe80::/10, fec0::/10, 100::/64 and ff00::/8 are all refused.
 */
import { BlockList, isIP } from 'node:net';

const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}

/** The eight 16-bit groups of a valid IPv6 literal (`::`, embedded dotted IPv4 and all). */
function ipv6Groups(ip: string): number[] {
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((n) => n.toString(16)).join(':'),
  );
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Dotted IPv4 from two 16-bit groups. */
const ipv4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

const forbiddenV4 = (ip: string) => blockedV4.check(ip, 'ipv4');

function forbiddenV6(ip: string): boolean {
  const g = ipv6Groups(ip);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Well-known NAT64 64:ff9b::/96: as allowed as the IPv4 address it carries.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return forbiddenV4(ipv4Of(g6, g7));
  }
  if ((g0 & 0xe000) !== 0x2000) return true; // not global unicast 2000::/3
  if ((g0 === 0x2001 && g1 < 0x0200) || (g0 === 0x2001 && g1 === 0x0db8)) return true; // 2001::/23, 2001:db8::/32
  if (g0 === 0x3fff && g1 < 0x1000) return true; // 3fff::/20 documentation
  if (g0 === 0x2002) return forbiddenV4(ipv4Of(g1, g2)); // 6to4 carries an IPv4 address
  return false;
}

/** True when `ip` (a literal IPv4/IPv6 address) must not be a webhook target. Non-IPs count as forbidden. */
export function isForbiddenAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return forbiddenV4(bare);
  if (family === 6) return forbiddenV6(bare.toLowerCase());
  return true;
}
