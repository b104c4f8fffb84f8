/**
 * TLS material for one started node (an Asterisk, a Kamailio, the parties of a TLS run): a throwaway CA and a
 * certificate it signs, for the node's own address. Made fresh per instance with the host's openssl (never
 * committed, never shared between runs), so a client that trusts this CA trusts this node and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { EnvironmentError, which } from './native.js';

export const OPENSSL_INSTALL_HINT = 'apt-get install openssl';

/** File names of the material in its folder (the server's pair is what pjsip.conf names). */
export const TLS_FILES = { caCert: 'ca.pem', caKey: 'ca.key', cert: 'server.pem', key: 'server.key' } as const;

export interface TlsMaterial {
  dir: string;
  /** The CA certificate: what a client passes to verify the PBX (SIPp -tls_ca). */
  caFile: string;
  /** The CA's key (mode 0600), to sign another node's certificate with the same CA. */
  caKeyFile: string;
  /** The server certificate, then the CA (the chain pjsip presents). */
  certFile: string;
  /** The server's private key (mode 0600). */
  keyFile: string;
}

function openssl(args: string[], what: string): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl could not ${what}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
}

/**
 * Writes a CA and a certificate for `address` (as an IP SAN, or a DNS SAN for a name) into `dir`, good for a
 * server and for the same node as a client: a PBX that calls a party over TLS shows it, and SIPp checks its purpose.
 * EC P-256 keys: generated in milliseconds, where RSA would cost a second per instance on a small machine.
 */
export function makeTlsMaterial(dir: string, address: string, caName = 'sipwright lab CA', signer?: TlsCa, o: BrokenCertificate = {}): TlsMaterial {
  if (!which('openssl')) throw new EnvironmentError(`openssl is not installed: ${OPENSSL_INSTALL_HINT} (needed for TLS: the lab makes its certificates with it)`);
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  if (signer) {
    // Another node's CA signs this one too (the lab's other proxy): the parties trust both with one CA file.
    copyFileSync(signer.caFile, f(TLS_FILES.caCert));
    copyFileSync(signer.caKeyFile, f(TLS_FILES.caKey));
  } else {
    openssl(
      ['req', '-x509', ...ec, '-keyout', f(TLS_FILES.caKey), '-out', f(TLS_FILES.caCert), '-days', '7', '-subj', `/CN=${caName}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      'make the CA',
    );
  }
  const san = isIP(address) ? `IP:${address}` : `DNS:${address}`;
  const ext = f('server.ext');
  writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
  const csr = f('server.csr');
  openssl(['req', '-new', ...ec, '-keyout', f(TLS_FILES.key), '-out', csr, '-subj', `/CN=${address}`], 'make the server key');
  const leaf = f('server-only.pem');
  const days = String(o.expired ? 0 : 7);
  if (o.selfSigned) {
    // Signed by its own key: the CA made above vouches for nothing the node shows.
    openssl(['x509', '-req', '-in', csr, '-key', f(TLS_FILES.key), '-days', days, '-extfile', ext, '-out', leaf], 'self-sign the certificate');
    writeFileSync(f(TLS_FILES.cert), readFileSync(leaf, 'utf8'));
  } else {
    openssl(['x509', '-req', '-in', csr, '-CA', f(TLS_FILES.caCert), '-CAkey', f(TLS_FILES.caKey), '-CAcreateserial', '-days', days, '-extfile', ext, '-out', leaf], 'sign the server certificate');
    writeFileSync(f(TLS_FILES.cert), readFileSync(leaf, 'utf8') + readFileSync(f(TLS_FILES.caCert), 'utf8'));
  }
  chmodSync(f(TLS_FILES.key), 0o600);
  chmodSync(f(TLS_FILES.caKey), 0o600);
  return { dir, caFile: f(TLS_FILES.caCert), caKeyFile: f(TLS_FILES.caKey), certFile: f(TLS_FILES.cert), keyFile: f(TLS_FILES.key) };
}

/**
 * A certificate made wrong on purpose, for a negative control: `selfSigned` (no CA vouches for it), `expired`
 * (valid for 0 days: expired a second after it was made). A wrong name is `address` itself.
 */
export interface BrokenCertificate {
  selfSigned?: boolean;
  expired?: boolean;
}

/** A CA that can sign: its certificate and its key. */
export interface TlsCa {
  caFile: string;
  caKeyFile: string;
}
