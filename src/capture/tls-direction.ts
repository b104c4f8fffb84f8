/**
 * One direction of a TLS connection: cuts the TCP byte stream into records, reads the plaintext handshake,
 * opens protected records with the current key, and hands application data to the same SIP framing TCP
 * uses (Content-Length), so SIP over TLS is cut exactly as SIP over TCP is.
 *
 * Key changes followed: TLS 1.2 ChangeCipherSpec; TLS 1.3 handshake key -> traffic secret 0 after this
 * side's Finished. Not followed: TLS 1.3 KeyUpdate, 0-RTT early data and TLS 1.2 renegotiation, which SIP
 * endpoints do not use; each stops the direction with a finding rather than guessing.
 */
import type { DecodeContext } from './context.js';
import { SipStream } from './sip-stream.js';
import { StreamBuffer } from './stream-buffer.js';
import type { StreamOwner } from './stream-owner.js';
import type { TlsConnection } from './tls-connection.js';
import { HandshakeReader, HS_CLIENT_HELLO, HS_FINISHED, HS_KEY_UPDATE, HS_SERVER_HELLO } from './tls-hello.js';
import type { RecordCipher } from './tls-record-cipher.js';
import type { Endpoint, Transport } from './types.js';

const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const HEADER = 5;
/** RFC 5246 §6.2.3: 2^14 plus the most expansion a cipher may add; larger is not a TLS record. */
const MAX_RECORD = 16384 + 2048;

export class TlsDirection implements StreamOwner {
  readonly transport: Transport = 'tls';
  readonly label: string;
  /** Key for this direction's protected records, once known. */
  cipher?: RecordCipher;
  /** TLS 1.2: the key the next ChangeCipherSpec switches to. */
  nextCipher?: RecordCipher;
  private readonly plain = new StreamBuffer();
  private readonly sip = new SipStream(this);
  private readonly hs: HandshakeReader;
  /** TLS 1.2: ChangeCipherSpec seen, every further record is protected. */
  private protected12 = false;
  private records = 0;
  private dead = false;

  constructor(
    readonly ctx: DecodeContext,
    readonly src: Endpoint,
    readonly dst: Endpoint,
    /** The TCP direction, "a:p -> b:q". */
    readonly tcpLabel: string,
    private readonly sb: StreamBuffer,
    readonly conn: TlsConnection,
  ) {
    this.label = `${tcpLabel} (inside TLS)`;
    this.hs = new HandshakeReader(ctx.maxReassemblyBytes);
  }

  /** The TCP bytes in `sb` grew; `frame`/`time` are those of the segment that completed them. */
  process(frame: number, time: number): void {
    const sb = this.sb;
    while (!this.dead && !this.conn.failed && sb.length >= HEADER) {
      const buf = sb.buf;
      const s = sb.start;
      const type = buf[s];
      const len = buf.readUInt16BE(s + 3);
      if (type < CHANGE_CIPHER_SPEC || type > APPLICATION_DATA || buf[s + 1] !== 3 || len > MAX_RECORD) {
        this.stop(frame, 'error', `record ${this.records + 1} ${this.dirName()} is not a TLS record (type ${type}, length ${len}); the rest of this direction is not decrypted`);
        break;
      }
      if (sb.length < HEADER + len) break;
      // Protected records and ChangeCipherSpec mean nothing until the ServerHello was read.
      if (type !== HANDSHAKE && type !== ALERT && !this.conn.established) {
        if (sb.length > this.ctx.maxReassemblyBytes) this.conn.fail(frame, 'error', `more than ${this.ctx.maxReassemblyBytes} bytes ${this.dirName()} before the ServerHello`);
        break;
      }
      const record = sb.take(HEADER + len);
      this.records++;
      this.record(type, record.subarray(0, HEADER), record.subarray(HEADER), frame, time);
    }
    if (this.dead || this.conn.failed) sb.clear();
  }

  /** Records held back for the ServerHello may be read now. */
  retry(frame: number, time: number): void {
    this.process(frame, time);
  }

  gap(frame: number): void {
    if (!this.dead && !this.conn.failed && this.records > 0) {
      // The record sequence number is part of every nonce: after lost bytes no later record can be opened.
      this.stop(frame, 'warning', `bytes ${this.dirName()} lost from the TCP stream after record ${this.records}; the rest of this direction is not decrypted`);
    }
    this.sip.gap(this.plain, frame);
  }

  end(frame: number): void {
    this.sip.end(this.plain, frame);
    if (this.records > 0) this.conn.ended(frame);
  }

  private record(type: number, header: Buffer, fragment: Buffer, frame: number, time: number): void {
    const conn = this.conn;
    if (conn.version === 12 && this.protected12) return this.protectedRecord(type, header, fragment, frame, time);
    switch (type) {
      case HANDSHAKE:
        return this.handshake(fragment, frame, false);
      case CHANGE_CIPHER_SPEC:
        // TLS 1.3 sends one for middlebox compatibility only (RFC 8446 §D.4); in 1.2 the next record is protected.
        if (conn.version === 12) {
          this.cipher = this.nextCipher;
          this.protected12 = true;
        }
        return;
      case APPLICATION_DATA:
        if (conn.version === 13) return this.protectedRecord(type, header, fragment, frame, time);
        return this.stop(frame, 'error', `record ${this.records} ${this.dirName()} is application data before ChangeCipherSpec`);
      default:
        return; // a plaintext alert: the handshake failed, which the missing application data shows
    }
  }

  private protectedRecord(type: number, header: Buffer, fragment: Buffer, frame: number, time: number): void {
    if (!this.cipher) return this.stop(frame, 'error', `record ${this.records} ${this.dirName()} is protected but no key applies to it`);
    const opened = this.cipher.open(header, fragment);
    if (!opened) {
      return this.stop(frame, 'error', `record ${this.records} ${this.dirName()} failed authentication (wrong key in the key log, or a damaged capture); the rest of this direction is not decrypted`);
    }
    let inner = type;
    let content = opened;
    if (this.conn.version === 13) {
      // TLSInnerPlaintext: content, the real content type, then zero padding (RFC 8446 §5.2).
      let i = opened.length - 1;
      while (i >= 0 && opened[i] === 0) i--;
      if (i < 0) return this.stop(frame, 'error', `record ${this.records} ${this.dirName()} has no inner content type`);
      inner = opened[i];
      content = opened.subarray(0, i);
    }
    if (inner === APPLICATION_DATA) {
      const at = this.plain.length;
      this.plain.append(content);
      this.sip.process(this.plain, frame, time, at);
    } else if (inner === HANDSHAKE && this.conn.version === 13) {
      this.handshake(content, frame, true);
    }
    // Alerts (close_notify) and a TLS 1.2 Finished need nothing from us.
  }

  private handshake(data: Buffer, frame: number, protectedTls13: boolean): void {
    let messages;
    try {
      messages = this.hs.push(data);
    } catch (e) {
      return this.stop(frame, 'error', `${(e as Error).message} ${this.dirName()} exceeds the reassembly limit`);
    }
    for (const m of messages) {
      if (m.type === HS_CLIENT_HELLO && !protectedTls13) this.conn.clientHello(this, m.body, frame);
      else if (m.type === HS_SERVER_HELLO && !protectedTls13) this.conn.serverHello(this, m.body, frame);
      else if (m.type === HS_FINISHED && protectedTls13 && !this.afterFinished) {
        // Records after this side's Finished use its traffic secret 0 (RFC 8446 §7.1); the key cannot change
        // inside a record, so switching now is right for the next one.
        this.afterFinished = true;
        this.cipher = this.conn.tls13Cipher(this === this.conn.client ? 'clientTraffic0' : 'serverTraffic0', frame);
      } else if (m.type === HS_KEY_UPDATE) {
        return this.stop(frame, 'warning', `KeyUpdate in record ${this.records} ${this.dirName()} is not supported; the rest of this direction is not decrypted`);
      }
    }
  }

  private afterFinished = false;

  private stop(frame: number, level: 'error' | 'warning', why: string): void {
    this.dead = true;
    this.sb.clear();
    this.conn.report(frame, level, why);
  }

  /** "from the client (a:p)" for findings. */
  private dirName(): string {
    const who = this === this.conn.client ? 'client' : this === this.conn.server ? 'server' : 'endpoint';
    const e = this.src;
    return `from the ${who} (${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port})`;
  }
}
