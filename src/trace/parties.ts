/** Naming the parties of a trace: "alice", "proxy" instead of 127.0.3.1:5060. */
import type { Endpoint } from '../capture/types.js';

/**
 * Keys are "ip:port" (IPv6 as "[ip]:port") or a bare "ip" meaning any port; the most specific key wins.
 * Unnamed addresses are shown as host:port.
 */
export class PartyNames {
  private exact = new Map<string, string>();
  private byIp = new Map<string, string>();

  constructor(map: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(map)) this.add(k, v);
  }

  add(address: string, name: string): this {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
    if (m) this.exact.set(`${m[1].toLowerCase()}|${m[2]}`, name);
    else this.byIp.set(address.replace(/^\[|\]$/g, '').toLowerCase(), name);
    return this;
  }

  nameOf(ep: Endpoint): string {
    const ip = ep.ip.toLowerCase();
    return this.exact.get(`${ip}|${ep.port}`) ?? this.byIp.get(ip) ?? endpointText(ep);
  }
}

export function endpointText(ep: Endpoint): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}
