/**
 * What both directions of one TLS connection share: the hellos, the negotiated suite and version, the
 * secrets from the key log, and the findings that say why the connection (or one direction) stays unread.
 * A connection that cannot be decrypted yields no SIP and one finding naming it and the reason; never an
 * exception.
 */
import type { DecodeContext } from './context.js';
import { RecordCipher } from './tls-record-cipher.js';
import { clientHelloRandom, parseServerHello } from './tls-hello.js';
import type { TlsKeyLog, TlsSecrets } from './tls-keylog.js';
import { suiteHex, tlsSuite, type TlsSuite } from './tls-suites.js';
import type { TlsDirection } from './tls-direction.js';
import type { CaptureFinding } from './types.js';

const TLS12 = 0x0303;
const TLS13 = 0x0304;

export class TlsConnection {
  client?: TlsDirection;
  server?: TlsDirection;
  clientRandom?: Buffer;
  suite?: TlsSuite;
  /** Set once the ServerHello is read and the keys for it are known to exist. */
  version?: 12 | 13;
  secrets?: TlsSecrets;
  /** A connection-wide reason not to decrypt was reported: both directions stop. */
  failed = false;
  private sawServerHello = false;

  /**
   * `firstLabel` names the connection until the ClientHello says which side is the client; `quiet`
   * leaves out the findings for services that are not SIP (HTTPS, IMAPS …) whose keys nobody logged.
   */
  constructor(
    readonly ctx: DecodeContext,
    private readonly keys: TlsKeyLog,
    private readonly firstLabel: string,
    private readonly quiet: boolean,
  ) {}

  /** "client -> server" once the ClientHello was seen. */
  get label(): string {
    return this.client ? this.client.tcpLabel : this.firstLabel;
  }

  /** A direction waits with protected records until the ServerHello says how to read them. */
  get established(): boolean {
    return this.version !== undefined || this.failed;
  }

  clientHello(dir: TlsDirection, body: Buffer, frame: number): void {
    const random = clientHelloRandom(body);
    if (!random) return this.fail(frame, 'error', 'ClientHello too short to hold client_random');
    // A second ClientHello (after a HelloRetryRequest) keeps the same random (RFC 8446 §4.1.2).
    this.client = dir;
    this.clientRandom = random;
  }

  serverHello(dir: TlsDirection, body: Buffer, frame: number): void {
    const hello = parseServerHello(body);
    if (!hello) return this.fail(frame, 'error', 'ServerHello is malformed');
    if (hello.retry) return;
    if (this.sawServerHello) return; // renegotiation: keys we do not have, and SIP peers do not do it
    this.sawServerHello = true;
    this.server = dir;
    if (!this.client || !this.clientRandom) return this.fail(frame, 'warning', 'no ClientHello captured (capture began mid-connection?)');
    if (this.client === dir) return this.fail(frame, 'error', 'ClientHello and ServerHello came from the same side');
    const suite = tlsSuite(hello.suite);
    const wanted = hello.version === TLS13 ? 13 : hello.version === TLS12 ? 12 : undefined;
    if (wanted === undefined) return this.fail(frame, 'warning', `TLS version 0x${hello.version.toString(16).padStart(4, '0')} not supported (1.2 and 1.3 are)`);
    if (!suite || suite.tls !== wanted) {
      const name = suite ? ` (${suite.name})` : '';
      return this.fail(frame, 'warning', `cipher ${suiteHex(hello.suite)}${name} not supported with TLS 1.${wanted - 10}`);
    }
    const cr = this.clientRandom.toString('hex');
    const secrets = this.keys.secrets(this.clientRandom);
    if (!secrets) return this.fail(frame, 'warning', `no key for client_random ${cr} in the key log`);
    this.suite = suite;
    this.secrets = secrets;
    if (wanted === 12) {
      if (!secrets.master) return this.fail(frame, 'warning', `no CLIENT_RANDOM (TLS 1.2 master secret) for client_random ${cr} in the key log`);
      const pair = RecordCipher.tls12Pair(suite, secrets.master, this.clientRandom, hello.random);
      this.client.nextCipher = pair.client;
      dir.nextCipher = pair.server;
    } else {
      const c = this.tls13Cipher('clientHandshake', frame);
      const s = this.tls13Cipher('serverHandshake', frame);
      if (!c || !s) return;
      // The server's records after its ServerHello are under its handshake key at once; the client's from
      // its first protected record on (the records cannot both be plaintext and protected).
      this.client.cipher = c;
      dir.cipher = s;
    }
    this.version = wanted;
    // The client may have protected records waiting (a capture whose directions arrive out of step).
    this.client.retry(frame, this.ctx.time);
  }

  /** A TLS 1.3 record key from one logged secret; reports the missing label (never the secret) otherwise. */
  tls13Cipher(which: 'clientHandshake' | 'serverHandshake' | 'clientTraffic0' | 'serverTraffic0', frame: number): RecordCipher | undefined {
    const secret = this.secrets?.[which];
    if (secret && this.suite) return RecordCipher.tls13(this.suite, secret);
    const label = { clientHandshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', serverHandshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET', clientTraffic0: 'CLIENT_TRAFFIC_SECRET_0', serverTraffic0: 'SERVER_TRAFFIC_SECRET_0' }[which];
    this.fail(frame, 'warning', `no ${label} for client_random ${this.clientRandom?.toString('hex')} in the key log`);
    return undefined;
  }

  /** Connection-wide: reported once, and nothing of this connection is decrypted. */
  fail(frame: number, level: CaptureFinding['level'], why: string): void {
    if (this.failed) return;
    this.failed = true;
    if (this.quiet) return;
    this.ctx.findings.add(frame, level, `TLS connection ${this.label} not decrypted: ${why}`);
  }

  /** One direction stops (the other may still be read). */
  report(frame: number, level: CaptureFinding['level'], why: string): void {
    this.ctx.findings.add(frame, level, `TLS connection ${this.label}: ${why}`);
  }

  /** End of a direction: a handshake that never reached a ServerHello is said once. */
  ended(frame: number): void {
    if (this.established || this.sawServerHello) return;
    this.fail(frame, 'warning', this.clientRandom ? 'no ServerHello captured (handshake did not complete)' : 'no TLS handshake captured (capture began mid-connection?)');
  }
}
