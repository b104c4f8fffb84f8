/**
 * Key derivation from logged secrets: TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1, §7.3) and TLS 1.2's PRF
 * key block (RFC 5246 §5, §6.3). Only the expand halves are needed: the key log already holds the extracted
 * secrets, which is also why node's hkdfSync (extract then expand) does not fit.
 */
import { createHmac } from 'node:crypto';

export type Hash = 'sha256' | 'sha384';

/** RFC 5869 §2.3 HKDF-Expand. */
export function hkdfExpand(hash: Hash, prk: Buffer, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let have = 0;
  for (let i = 1; have < length; i++) {
    prev = createHmac(hash, prk).update(prev).update(info).update(Buffer.of(i)).digest();
    out.push(prev);
    have += prev.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label(secret, label, context, length): the label gets the "tls13 " prefix. */
export function hkdfExpandLabel(hash: Hash, secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1 + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = context.length;
  context.copy(info, 4 + full.length);
  return hkdfExpand(hash, secret, info, length);
}

/** RFC 5246 §5 PRF(secret, label, seed) = P_hash(secret, label + seed). */
export function tls12Prf(hash: Hash, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = labelSeed;
  let have = 0;
  while (have < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}
