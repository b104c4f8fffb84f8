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

  /** Names already worked out, by ip and port: a capture has few endpoints and many messages. */
  private known = new Map<string, Map<number, string>>();

  add(address: string, name: string): this {
    this.known.clear();
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
    if (m) this.exact.set(`${m[1].toLowerCase()}|${m[2]}`, name);
    else this.byIp.set(address.replace(/^\[|\]$/g, '').toLowerCase(), name);
    return this;
  }

  nameOf(ep: Endpoint): string {
    let byPort = this.known.get(ep.ip);
    if (!byPort) this.known.set(ep.ip, (byPort = new Map()));
    let name = byPort.get(ep.port);
    if (name === undefined) {
      const ip = ep.ip.toLowerCase();
      name = this.exact.get(`${ip}|${ep.port}`) ?? this.byIp.get(ip) ?? endpointText(ep);
      byPort.set(ep.port, name);
    }
    return name;
  }
}

export function endpointText(ep: Endpoint): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}
