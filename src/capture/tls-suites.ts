/**
 * The cipher suites whose records we can decrypt: the AEAD ones (AES-GCM, ChaCha20-Poly1305), which are all
 * TLS 1.3 has and what every current TLS 1.2 peer negotiates first. CBC, CCM and RC4 suites are not here:
 * a connection using one gets a finding naming the suite's number.
 */

export type TlsAead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface TlsSuite {
  /** IANA name, for findings. */
  name: string;
  /** 13 for the TLS 1.3 suites (they name no key exchange), 12 otherwise. */
  tls: 12 | 13;
  aead: TlsAead;
  keyLen: number;
  /** The HKDF (1.3) or PRF (1.2) hash. */
  hash: 'sha256' | 'sha384';
}

const gcm128 = { aead: 'aes-128-gcm', keyLen: 16, hash: 'sha256' } as const;
const gcm256 = { aead: 'aes-256-gcm', keyLen: 32, hash: 'sha384' } as const;
const chacha = { aead: 'chacha20-poly1305', keyLen: 32, hash: 'sha256' } as const;

/**
 * By code point (RFC 8446 §B.4, RFC 5288, RFC 5289, RFC 7905). The key exchange of a TLS 1.2 suite does not
 * matter to us, since the key log gives the master secret: so the RSA and DHE variants of the same record
 * protection come for free beside the ECDHE ones.
 */
const SUITES = new Map<number, TlsSuite>([
  [0x1301, { name: 'TLS_AES_128_GCM_SHA256', tls: 13, ...gcm128 }],
  [0x1302, { name: 'TLS_AES_256_GCM_SHA384', tls: 13, ...gcm256 }],
  [0x1303, { name: 'TLS_CHACHA20_POLY1305_SHA256', tls: 13, ...chacha }],
  [0xc02b, { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', tls: 12, ...gcm128 }],
  [0xc02c, { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', tls: 12, ...gcm256 }],
  [0xc02f, { name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', tls: 12, ...gcm128 }],
  [0xc030, { name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', tls: 12, ...gcm256 }],
  [0xcca8, { name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', tls: 12, ...chacha }],
  [0xcca9, { name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', tls: 12, ...chacha }],
  [0xccaa, { name: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', tls: 12, ...chacha }],
  [0x009c, { name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', tls: 12, ...gcm128 }],
  [0x009d, { name: 'TLS_RSA_WITH_AES_256_GCM_SHA384', tls: 12, ...gcm256 }],
  [0x009e, { name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', tls: 12, ...gcm128 }],
  [0x009f, { name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', tls: 12, ...gcm256 }],
]);

export function tlsSuite(code: number): TlsSuite | undefined {
  return SUITES.get(code);
}

/** "0xc013", as Wireshark and the IANA registry write a suite number. */
export function suiteHex(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}
