/**
 * Which of this machine's addresses and interfaces reach a destination, as `ip route get` says: the parties of a
 * run against a target on another host send from that address, and the capture listens on that interface.
 */
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { canonicalIp } from '../util/host.js';

export interface LocalRoute {
  /** The local address packets to the destination leave from. */
  address: string;
  /** The interface they leave by (lo for an address of this machine). */
  iface: string;
}

/** One route of `ip -j route get` (the fields read here). */
export interface IpRoute {
  dev?: string;
  prefsrc?: string;
  type?: string;
}

interface IpAddr {
  ifname: string;
  addr_info?: Array<{ local: string }>;
}

function ipJson<T>(args: string[]): T {
  try {
    return JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as T;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

function family(address: string): string[] {
  return isIP(address) === 6 ? ['-6'] : ['-4'];
}

/** The local address and interface that route to `destination` (an IP address). */
export function routeTo(destination: string): LocalRoute {
  let routes: IpRoute[];
  try {
    routes = ipJson<IpRoute[]>([...family(destination), 'route', 'get', destination]);
  } catch (e) {
    throw new Error(`no route from this machine to ${destination}: ${(e as Error).message}`);
  }
  return routeFromIp(destination, routes);
}

/**
 * What `ip -j route get destination` answered, as a LocalRoute. The source address is in RFC 5952 form (as
 * the capture writes it), IPv6 included: `ip` gives it so, and a destination of this machine is normalised.
 */
export function routeFromIp(destination: string, routes: IpRoute[]): LocalRoute {
  const r = routes[0];
  if (!r?.dev) throw new Error(`no route from this machine to ${destination}`);
  // A destination that is an address of this machine is reached over lo, from itself.
  const address = r.prefsrc ?? (r.type === 'local' ? destination : undefined);
  if (!address) throw new Error(`the route to ${destination} (via ${r.dev}) has no source address: give one with --local-address`);
  return { address: canonicalIp(address), iface: r.dev };
}

/** The interface that holds `address`, which must be one of this machine's; `what` names where it was given. */
export function interfaceOf(address: string, what: string): LocalRoute {
  if (!isIP(address)) throw new Error(`${what}: "${address}" is not an IP address`);
  const links = ipJson<IpAddr[]>([...family(address), 'addr', 'show']);
  const want = canonicalIp(address);
  const link = links.find((l) => (l.addr_info ?? []).some((a) => a.local !== undefined && canonicalIp(a.local) === want));
  if (!link) throw new Error(`${what}: ${address} is not an address of this machine (ip addr show lists its addresses)`);
  return { address: want, iface: link.ifname };
}

export function isLoopbackAddress(address: string): boolean {
  return (isIP(address) === 4 && address.startsWith('127.')) || canonicalIp(address) === '::1';
}
