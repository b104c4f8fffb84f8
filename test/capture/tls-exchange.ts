/**
 * Real TLS for the capture tests: Node's TLS (OpenSSL) client and server exchange SIP messages, and the
 * client's 'keylog' event hands over the session keys exactly as an endpoint's SSLKEYLOGFILE would. The bytes
 * go either over an in-memory wire that records every write in order (for synthetic captures whose TCP
 * segmentation the test chooses) or over real loopback TCP (for tcpdump).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect, createSecureContext, TLSSocket, type ConnectionOptions, type SecureVersion } from 'node:tls';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/**
 * A throwaway self-signed EC P-256 certificate made with openssl in `dir` (never committed). The client
 * trusts exactly it; the name is not checked, since these tests are about the records, not the PKI.
 */
export function makeTlsMaterial(dir: string): TlsMaterial {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=sip.test'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr}`);
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

export interface TlsChoice {
  maxVersion: SecureVersion;
  /** OpenSSL cipher string; TLS 1.3 suites by their TLS_ names. */
  ciphers: string;
}

export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
export const TLS12_SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'];

const sdp = (who: string, port: number): string =>
  `v=0\r\no=${who} 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 8 101\r\n` +
  `a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n` +
  `a=x-padding:${'p'.repeat(600)}\r\n`;

function message(start: string, cseq: string, callId: string, body = '', extra = ''): string {
  return (
    `${start}\r\nVia: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bK-${cseq.replace(' ', '-').toLowerCase()}\r\nMax-Forwards: 70\r\n` +
    `From: <sips:alice@example.com>;tag=a1\r\nTo: <sips:bob@example.com>\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\n${extra}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** What the client sends, then the server, in the order the exchange below writes them. */
export function sipScript(callId: string): { register: string; ok: string; invite: string; trying: string; ringing: string; answer: string; ack: string } {
  return {
    register: message('REGISTER sips:example.com SIP/2.0', '1 REGISTER', `${callId}-reg`, '', 'Contact: <sips:alice@10.0.0.1:5061>\r\n'),
    ok: message('SIP/2.0 200 OK', '1 REGISTER', `${callId}-reg`, '', 'Contact: <sips:alice@10.0.0.1:5061>;expires=60\r\n'),
    invite: message('INVITE sips:bob@example.com SIP/2.0', '1 INVITE', callId, sdp('alice', 4000), 'Content-Type: application/sdp\r\n'),
    trying: message('SIP/2.0 100 Trying', '1 INVITE', callId),
    ringing: message('SIP/2.0 180 Ringing', '1 INVITE', callId),
    answer: message('SIP/2.0 200 OK', '1 INVITE', callId, sdp('bob', 5000), 'Content-Type: application/sdp\r\n'),
    ack: message('ACK sips:bob@example.com SIP/2.0', '1 ACK', callId),
  };
}

/** The start lines in the order the exchange sends them: what a decrypted capture must show. */
export const EXPECTED_START_LINES = [
  'REGISTER sips:example.com SIP/2.0',
  'SIP/2.0 200 OK',
  'INVITE sips:bob@example.com SIP/2.0',
  'SIP/2.0 100 Trying',
  'SIP/2.0 180 Ringing',
  'SIP/2.0 200 OK',
  'ACK sips:bob@example.com SIP/2.0',
];

/** Resolves once `needle` (a whole message) has arrived at `sock`. */
function waitFor(sock: TLSSocket, got: { text: string }, needle: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => got.text.includes(needle);
    if (check()) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(needle)}`)), 5000);
    const on = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      sock.off('data', on);
      resolve();
    };
    sock.on('data', on);
  });
}

function collect(sock: TLSSocket): { text: string } {
  const got = { text: '' };
  sock.on('data', (d: Buffer) => (got.text += d.toString('latin1')));
  return got;
}

/**
 * The SIP exchange over an established pair: REGISTER/200; an INVITE whose SDP body is written in two
 * pieces (two records); 100 and 180 written at once (two messages in one record); 200 with SDP; ACK.
 * Each step waits for the peer to have read the previous one, so the wire order is fixed.
 */
export async function exchange(client: TLSSocket, server: TLSSocket, callId: string): Promise<void> {
  const m = sipScript(callId);
  const atServer = collect(server);
  const atClient = collect(client);
  client.write(m.register);
  await waitFor(server, atServer, m.register);
  server.write(m.ok);
  await waitFor(client, atClient, m.ok);
  const cut = m.invite.length - 300; // inside the SDP body
  client.write(m.invite.slice(0, cut));
  await new Promise((r) => setImmediate(r));
  client.write(m.invite.slice(cut));
  await waitFor(server, atServer, m.invite);
  server.write(m.trying + m.ringing);
  await waitFor(client, atClient, m.ringing);
  server.write(m.answer);
  await waitFor(client, atClient, m.answer);
  client.write(m.ack);
  await waitFor(server, atServer, m.ack);
}

export interface WireChunk {
  from: 'c' | 's';
  data: Buffer;
}

/** One end of an in-memory wire; every write is recorded in `log` before the peer reads it. */
class WireEnd extends Duplex {
  peer!: WireEnd;
  constructor(private readonly side: 'c' | 's', private readonly log: WireChunk[]) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.log.push({ from: this.side, data: Buffer.from(chunk) });
    this.peer.push(chunk);
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.peer.push(null);
    cb();
  }
}

export interface TlsRun {
  chunks: WireChunk[];
  /** The client's key log lines, SSLKEYLOGFILE text. */
  keylog: string;
  version: string;
  cipher: string;
}

/** One TLS connection over an in-memory wire running `exchange`. */
export async function runInMemory(material: TlsMaterial, choice: TlsChoice, callId: string): Promise<TlsRun> {
  const chunks: WireChunk[] = [];
  const c = new WireEnd('c', chunks);
  const s = new WireEnd('s', chunks);
  c.peer = s;
  s.peer = c;
  const server = new TLSSocket(s, {
    isServer: true,
    secureContext: serverContext(material),
  });
  const keylog: string[] = [];
  const client = connect({ socket: c, ...clientOptions(material, choice) });
  client.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
    server.once('error', reject);
  });
  const version = client.getProtocol() ?? '';
  const cipher = client.getCipher().standardName;
  await exchange(client, server, callId);
  await closeBoth(client, server);
  return { chunks, keylog: keylog.join(''), version, cipher };
}

export function serverContext(material: TlsMaterial): ReturnType<typeof createSecureContext> {
  return createSecureContext({ cert: material.cert, key: material.key, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
}

export function clientOptions(material: TlsMaterial, choice: TlsChoice): ConnectionOptions {
  return { ca: material.cert, checkServerIdentity: () => undefined, maxVersion: choice.maxVersion, minVersion: 'TLSv1.2', ciphers: choice.ciphers };
}

export async function closeBoth(client: TLSSocket, server: TLSSocket): Promise<void> {
  const closed = (s: TLSSocket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
  client.end();
  server.end();
  await Promise.race([Promise.all([closed(client), closed(server)]), new Promise((r) => setTimeout(r, 1000))]);
  client.destroy();
  server.destroy();
}
