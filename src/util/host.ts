/**
 * Host text in SIP and on command lines: an IPv6 literal is bracketed wherever a port may follow it (RFC 3261
 * §19.1.1, RFC 3986 §3.2.2: "[2001:db8::1]:5060"), and written in one form (RFC 5952) wherever it is compared,
 * because the capture names every address that way (capture/ip-addr.ts) and a ladder finds parties by text.
 */
import { isIP, SocketAddress } from 'node:net';

/** `host` as it goes before ":port" or after "@" in a URI: an IPv6 literal bracketed (once), anything else as is. */
export function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** "host:port", an IPv6 host bracketed. */
export function hostPort(host: string, port: number): string {
  return `${uriHost(host)}:${port}`;
}

/** An IPv6 address in RFC 5952 form (lower case, no leading zeros, the longest zero run as "::"); others unchanged. */
export function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  return new SocketAddress({ address, family: 'ipv6' }).address;
}
