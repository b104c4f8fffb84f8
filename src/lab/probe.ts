/**
 * Is the target there? One OPTIONS, retransmitted at T1 intervals over UDP (or sent once over TCP), and any
 * SIP response at all means yes. An unreachable target fails in seconds, with its name and address.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { hostPort, uriHost } from '../util/host.js';

export class TargetUnreachable extends Error {}

export interface ProbeOptions {
  name: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  /** Local address to send from (inside the lab's block, so the capture sees it). */
  from: string;
  timeoutMs?: number;
  t1Ms?: number;
}

function optionsRequest(o: ProbeOptions, proto: string, localPort: number): string {
  const branch = 'z9hG4bK-sw-probe-' + randomBytes(6).toString('hex');
  const target = hostPort(o.host, o.port);
  return [
    `OPTIONS sip:${target} SIP/2.0`,
    `Via: SIP/2.0/${proto} ${hostPort(o.from, localPort)};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:sipwright-probe@${uriHost(o.from)}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${target}>`,
    `Call-ID: probe-${randomBytes(8).toString('hex')}@${o.from}`,
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function unreachable(o: ProbeOptions, why: string): TargetUnreachable {
  return new TargetUnreachable(`target ${o.name} at ${hostPort(o.host, o.port)} (${o.transport}) is unreachable: ${why}`);
}

async function probeUdp(o: ProbeOptions, timeoutMs: number): Promise<string> {
  const sock = createSocket(isIP(o.host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, o.from, () => resolve());
    });
    const req = optionsRequest(o, 'UDP', sock.address().port);
    return await new Promise<string>((resolve, reject) => {
      let interval = o.t1Ms ?? 500;
      let timer: NodeJS.Timeout;
      const send = () => {
        sock.send(req, o.port, o.host, (e) => e && reject(unreachable(o, e.message)));
        timer = setTimeout(send, interval);
        interval = Math.min(interval * 2, 4000);
      };
      const deadline = setTimeout(() => {
        clearTimeout(timer);
        reject(unreachable(o, `no answer to OPTIONS within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.on('message', (buf) => {
        const first = buf.toString('latin1').split('\r\n', 1)[0];
        if (!first.startsWith('SIP/2.0 ')) return;
        clearTimeout(timer);
        clearTimeout(deadline);
        resolve(first);
      });
      sock.on('error', (e) => reject(unreachable(o, e.message)));
      send();
    });
  } finally {
    sock.close();
  }
}

async function probeTcp(o: ProbeOptions, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: o.host, port: o.port, localAddress: o.from });
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(unreachable(o, `no answer to OPTIONS within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => s.write(optionsRequest(o, 'TCP', s.localPort ?? 0)));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const first = buf.split('\r\n', 1)[0];
      if (buf.includes('\r\n') && first.startsWith('SIP/2.0 ')) {
        clearTimeout(timer);
        s.destroy();
        resolve(first);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(unreachable(o, e.message));
    });
  });
}

/** Resolves with the status line of the answer. */
export async function probeTarget(o: ProbeOptions): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 3000;
  if (o.transport === 'udp') return probeUdp(o, timeoutMs);
  if (o.transport === 'tcp') return probeTcp(o, timeoutMs);
  // TLS targets: reachability of the port is what can be checked without the lab's TLS material.
  return new Promise((resolve, reject) => {
    const s = connect({ host: o.host, port: o.port, localAddress: o.from });
    const timer = setTimeout(() => {
      s.destroy();
      reject(unreachable(o, `TCP connect did not complete within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('TLS port open');
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(unreachable(o, e.message));
    });
  });
}
