/**
 * The two plaintext handshake messages decryption needs (RFC 8446 §4.1.2-4.1.3, RFC 5246 §7.4.1): the
 * ClientHello for client_random (the key log's index), the ServerHello for server_random (TLS 1.2 keys),
 * the chosen cipher suite and the version. Plus a reassembler, since a handshake message may span records.
 */

export const HS_CLIENT_HELLO = 1;
export const HS_SERVER_HELLO = 2;
export const HS_FINISHED = 20;
export const HS_KEY_UPDATE = 24;

const EXT_SUPPORTED_VERSIONS = 43;
/** A ServerHello with this random is a HelloRetryRequest (RFC 8446 §4.1.3): the real one follows. */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export interface ServerHello {
  random: Buffer;
  suite: number;
  /** Negotiated version: supported_versions' selection if present, else legacy_version (0x0303 = 1.2). */
  version: number;
  retry: boolean;
}

/** client_random, or undefined when the body is too short to hold one. */
export function clientHelloRandom(body: Buffer): Buffer | undefined {
  return body.length >= 34 ? Buffer.from(body.subarray(2, 34)) : undefined;
}

export function parseServerHello(body: Buffer): ServerHello | undefined {
  if (body.length < 38) return undefined;
  const random = Buffer.from(body.subarray(2, 34));
  let o = 35 + body[34];
  if (o + 3 > body.length) return undefined;
  const suite = body.readUInt16BE(o);
  o += 3; // suite, compression method
  let version = body.readUInt16BE(0);
  if (o + 2 <= body.length) {
    const end = Math.min(body.length, o + 2 + body.readUInt16BE(o));
    o += 2;
    while (o + 4 <= end) {
      const type = body.readUInt16BE(o);
      const len = body.readUInt16BE(o + 2);
      if (type === EXT_SUPPORTED_VERSIONS && len === 2 && o + 6 <= end) version = body.readUInt16BE(o + 4);
      o += 4 + len;
    }
  }
  return { random, suite, version, retry: random.equals(HRR_RANDOM) };
}

export interface HandshakeMessage {
  type: number;
  body: Buffer;
}

/** Cuts a direction's handshake bytes (record payloads of type 22, in order) into messages. */
export class HandshakeReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly max: number) {}

  /** Complete messages so far; throws RangeError when one announces more than `max` bytes. */
  push(data: Buffer): HandshakeMessage[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const out: HandshakeMessage[] = [];
    let o = 0;
    while (this.pending.length - o >= 4) {
      const len = this.pending.readUIntBE(o + 1, 3);
      if (len > this.max) throw new RangeError(`handshake message of ${len} bytes`);
      if (this.pending.length - o < 4 + len) break;
      out.push({ type: this.pending[o], body: this.pending.subarray(o + 4, o + 4 + len) });
      o += 4 + len;
    }
    this.pending = this.pending.subarray(o);
    return out;
  }
}
