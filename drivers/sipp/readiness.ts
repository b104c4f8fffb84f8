/**
 * When is a background SIPp ready? When its SIP socket is bound (UDP) or listening (TCP): from then on the
 * kernel queues what a UAC sends, even before SIPp's loop reads it. Checked in /proc, never by binding the
 * port ourselves (that would steal it from SIPp) and never by a sleep:
 *   1. the inodes of the sockets SIPp's process holds (/proc/PID/fd → socket:[inode]);
 *   2. /proc/net/{udp,tcp}{,6}: one of those inodes bound to the address and port we gave with -i/-p.
 * SIPp prints no line when it is ready (its screen is periodic), and an OPTIONS probe would need a branch
 * in every scenario and count as a call.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';

/** The address as /proc/net shows it: IPv4 as one little-endian word, IPv6 as four. */
export function procHexAddress(ip: string): string {
  if (isIP(ip) === 4) {
    return ip
      .split('.')
      .map((o) => Number(o).toString(16).padStart(2, '0'))
      .reverse()
      .join('')
      .toUpperCase();
  }
  if (isIP(ip) === 6) {
    const bytes = ipv6Bytes(ip);
    let out = '';
    for (let w = 0; w < 4; w++) {
      for (let b = 3; b >= 0; b--) out += bytes[w * 4 + b].toString(16).padStart(2, '0');
    }
    return out.toUpperCase();
  }
  throw new Error(`not an IP address: ${ip}`);
}

function ipv6Bytes(ip: string): number[] {
  const [head, tail = ''] = ip.split('::');
  const parse = (s: string) => (s ? s.split(':') : []);
  const h = parse(head);
  const t = ip.includes('::') ? parse(tail) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g: string) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

const TCP_LISTEN = '0A';

/** True when process `pid` holds a socket bound to ip:port (listening, for TCP). */
export function isBound(pid: number, ip: string, port: number, transport: 'udp' | 'tcp'): boolean {
  const inodes = socketInodes(pid);
  if (!inodes.size) return false;
  const v6 = isIP(ip) === 6;
  const table = `/proc/net/${transport}${v6 ? '6' : ''}`;
  const local = `${procHexAddress(ip)}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  let text: string;
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10 || f[1] !== local) continue;
    if (transport === 'tcp' && f[3] !== TCP_LISTEN) continue;
    if (inodes.has(f[9])) return true;
  }
  return false;
}

/** Polls until bound; rejects when `stillRunning()` turns false or the time is up. */
export async function waitUntilBound(
  pid: number,
  ip: string,
  port: number,
  transport: 'udp' | 'tcp',
  opts: { timeoutMs: number; stillRunning: () => boolean; describe: () => string },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (isBound(pid, ip, port, transport)) return Date.now() - started;
    if (!opts.stillRunning()) throw new Error(`SIPp exited before binding ${transport} ${ip}:${port}. ${opts.describe()}`);
    if (Date.now() - started > opts.timeoutMs) {
      throw new Error(`SIPp did not bind ${transport} ${ip}:${port} within ${opts.timeoutMs} ms. ${opts.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface BoundSocket {
  transport: 'udp' | 'tcp';
  /** The local address as /proc shows it (hex), and whether it is the wildcard (0.0.0.0 or ::). */
  localHex: string;
  port: number;
  wildcard: boolean;
}

/** Every UDP socket and listening TCP socket `pid` holds: to prove that nothing binds 0.0.0.0. */
export function boundSockets(pid: number): BoundSocket[] {
  const inodes = socketInodes(pid);
  const out: BoundSocket[] = [];
  for (const [transport, table] of [['udp', 'udp'], ['udp', 'udp6'], ['tcp', 'tcp'], ['tcp', 'tcp6']] as const) {
    let text = '';
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      if (transport === 'tcp' && f[3] !== TCP_LISTEN) continue;
      const [hex, port] = f[1].split(':');
      out.push({ transport, localHex: hex, port: parseInt(port, 16), wildcard: /^0+$/.test(hex) });
    }
  }
  return out;
}
