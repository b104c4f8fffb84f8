/**
 * One TLS handshake with the target, as a user agent makes it before it sends SIP: what it negotiated, and
 * whether a user agent that verifies (the CA, the name, the dates) would go on, with the reason when not.
 */
import { appendFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { checkServerIdentity, connect, type SecureVersion } from 'node:tls';

export interface HandshakeOptions {
  host: string;
  port: number;
  /** The local address it connects from (a party's, so the capture holds it). */
  from: string;
  /** The CA to verify with; without it nothing is verified. */
  ca?: Buffer;
  /** SNI, for a target named by a host name. */
  servername?: string;
  /** The name the certificate must carry (a host name or an IP address). */
  identity?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
  timeoutMs?: number;
  /** Append the connection's secrets here (NSS key log), as the parties do: the test's capture is read with them. */
  keyLog?: string;
}

export interface Handshake {
  /** The protocol negotiated (TLSv1.3 …), undefined when the handshake failed. */
  protocol?: string;
  /** Why a verifying user agent would not go on: the chain, the name, the dates; undefined when it would. */
  refused?: string;
  /** Why the handshake itself failed. */
  error?: string;
}

export function handshake(o: HandshakeOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    // From the party's own address: TLS takes a TCP socket bound there.
    const tcp = netConnect({ host: o.host, port: o.port, localAddress: o.from });
    const s = connect({
      socket: tcp,
      rejectUnauthorized: false,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
      ...(o.minVersion ? { minVersion: o.minVersion } : {}),
      ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      ...(o.ciphers ? { ciphers: o.ciphers } : {}),
      // The name is checked below, once, with the verdict's words.
      checkServerIdentity: () => undefined,
    });
    if (o.keyLog) s.on('keylog', (line) => appendFileSync(o.keyLog!, line));
    const timer = setTimeout(() => done({ error: `no handshake within ${o.timeoutMs ?? 5000} ms` }), o.timeoutMs ?? 5000);
    let settled = false;
    function done(r: Handshake): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      tcp.destroy();
      resolve(r);
    }
    s.once('secureConnect', () => {
      const protocol = s.getProtocol() ?? undefined;
      const cert = s.getPeerCertificate();
      const chain = o.ca && !s.authorized ? `its certificate is not trusted by the CA it declares (${String(s.authorizationError)})` : undefined;
      const name = o.identity ? checkServerIdentity(o.identity, cert) : undefined;
      const refused = chain ?? (name ? `its certificate is for ${cert.subjectaltname ?? cert.subject?.CN}, not ${o.identity} (${name.message})` : undefined);
      done({ ...(protocol ? { protocol } : {}), ...(refused ? { refused } : {}) });
    });
    s.once('error', (e) => done({ error: e.message }));
    tcp.once('error', (e) => done({ error: e.message }));
  });
}
