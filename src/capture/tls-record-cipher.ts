/**
 * Opens the protected records of one direction of a TLS connection: AEAD with a per-record nonce from the
 * record sequence number (RFC 8446 §5.2-5.3, RFC 5288 §3, RFC 7905 §2). One instance per key: the sequence
 * number starts at 0 with each new key (a TLS 1.2 ChangeCipherSpec, a TLS 1.3 key change).
 */
import { createDecipheriv } from 'node:crypto';
import { hkdfExpandLabel, tls12Prf } from './tls-kdf.js';
import type { TlsSuite } from './tls-suites.js';

const TAG = 16;
/** The TLS 1.2 GCM explicit nonce carried at the start of each record (RFC 5288 §3). */
const EXPLICIT_NONCE = 8;

export class RecordCipher {
  private seq = 0;

  private constructor(
    private readonly suite: TlsSuite,
    private readonly key: Buffer,
    private readonly iv: Buffer,
  ) {}

  /** TLS 1.3: key and iv from one traffic secret (RFC 8446 §7.3). */
  static tls13(suite: TlsSuite, secret: Buffer): RecordCipher {
    const key = hkdfExpandLabel(suite.hash, secret, 'key', Buffer.alloc(0), suite.keyLen);
    const iv = hkdfExpandLabel(suite.hash, secret, 'iv', Buffer.alloc(0), 12);
    return new RecordCipher(suite, key, iv);
  }

  /**
   * TLS 1.2: both directions' keys from the master secret (RFC 5246 §6.3). AEAD suites have no MAC key;
   * the "IV" is the 4-byte GCM salt, or ChaCha20's whole 12-byte nonce mask.
   */
  static tls12Pair(suite: TlsSuite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): { client: RecordCipher; server: RecordCipher } {
    const ivLen = suite.aead === 'chacha20-poly1305' ? 12 : 4;
    const k = suite.keyLen;
    const block = tls12Prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * k + 2 * ivLen);
    return {
      client: new RecordCipher(suite, block.subarray(0, k), block.subarray(2 * k, 2 * k + ivLen)),
      server: new RecordCipher(suite, block.subarray(k, 2 * k), block.subarray(2 * k + ivLen, 2 * k + 2 * ivLen)),
    };
  }

  /**
   * The plaintext of one record (`header` its 5 header bytes, `fragment` what follows), or undefined when
   * the tag does not verify. TLS 1.3 plaintext still ends in its inner content type and padding.
   */
  open(header: Buffer, fragment: Buffer): Buffer | undefined {
    const seq = this.seq++;
    const tls13 = this.suite.tls === 13;
    const explicit = !tls13 && this.suite.aead !== 'chacha20-poly1305';
    const ctStart = explicit ? EXPLICIT_NONCE : 0;
    if (fragment.length < ctStart + TAG) return undefined;
    const ct = fragment.subarray(ctStart, fragment.length - TAG);
    const tag = fragment.subarray(fragment.length - TAG);

    let nonce: Buffer;
    if (explicit) {
      nonce = Buffer.concat([this.iv, fragment.subarray(0, EXPLICIT_NONCE)]);
    } else {
      // The 64-bit sequence number, left-padded to the iv's length and XORed into it.
      nonce = Buffer.from(this.iv);
      const hi = Math.floor(seq / 2 ** 32);
      const lo = seq >>> 0;
      nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
      nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);
    }

    let aad: Buffer;
    if (tls13) {
      aad = header;
    } else {
      // seq_num + type + version + length of the plaintext (RFC 5246 §6.2.3.3).
      aad = Buffer.alloc(13);
      aad.writeUInt32BE(Math.floor(seq / 2 ** 32), 0);
      aad.writeUInt32BE(seq >>> 0, 4);
      aad[8] = header[0];
      aad[9] = header[1];
      aad[10] = header[2];
      aad.writeUInt16BE(ct.length, 11);
    }

    const aead = this.suite.aead;
    const d =
      aead === 'chacha20-poly1305'
        ? createDecipheriv(aead, this.key, nonce, { authTagLength: TAG })
        : createDecipheriv(aead, this.key, nonce, { authTagLength: TAG });
    d.setAAD(aad, { plaintextLength: ct.length });
    d.setAuthTag(tag);
    const head = d.update(ct);
    try {
      const tail = d.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      return undefined;
    }
  }
}
