/**
 * Session descriptions the user agents send, written with sdp-transform from a typed description. The
 * addresses and the media port are SIPp keywords, filled in by SIPp when the message goes out, so one
 * description serves any party on any address.
 */
import { randomBytes } from 'node:crypto';
import * as sdpTransform from 'sdp-transform';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Static RTP payload types (RFC 3551) a lab UA offers; the name is what a test writes. */
export const CODECS = { PCMU: 0, GSM: 3, PCMA: 8, G722: 9 } as const;
export type Codec = keyof typeof CODECS;

/** The SRTP crypto-suites of RFC 4568 §6.2 a lab UA offers (both use a 30-byte master key and salt). */
export const SDES_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SdesSuite = (typeof SDES_SUITES)[number];

export interface SdpCrypto {
  /** The a=crypto tag (RFC 4568 §4.1), which the answer repeats for the line it picks. Default: its place in the list, from 1. */
  tag?: number;
  suite: SdesSuite;
  /** base64 key||salt (30 bytes): made per test with sdesKey(), never committed. */
  key: string;
}

/**
 * A fresh SRTP master key and salt for `inline:` (RFC 4568 §6.1: 16 + 14 bytes for the AES_CM_128 suites).
 * Key material is a secret: reports mask every `inline:` key (src/report/redact.ts).
 */
export function sdesKey(): string {
  return randomBytes(30).toString('base64');
}

export interface SdpSpec {
  /** Offered (or answered) codecs, in preference order. Default PCMU. */
  codecs?: Codec[];
  /** a=<direction>; absent means sendrecv (RFC 3264 §5.1) and is written out as sendrecv. */
  direction?: Direction;
  /**
   * The o= version of this description. A party's next description of the same session must carry the next
   * number (RFC 3264 §8); the user agents count for themselves, a test sets it only to break that on purpose.
   */
  version?: number;
  /** o= session id (a party keeps it for the whole session). */
  sessionId?: number;
  /** o= user name. */
  username?: string;
  /**
   * SRTP with SDES (RFC 4568): RTP/SAVP with these a=crypto lines, one for an answer, one or more in an offer's
   * order of preference. Absent: plain RTP/AVP.
   */
  crypto?: SdpCrypto | SdpCrypto[];
}

/** The o= version the user agents start from: large, so a frozen or reset version shows at once. */
export const FIRST_VERSION = 2353687637;

/** What an answerer that is not itself holding puts against an offered direction (RFC 3264 §6.1). */
export function answerTo(offer: Direction): Direction {
  return ({ sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' } as const)[offer];
}

/** The SDP body as lines (no trailing empty line), SIPp keywords in place of addresses and port. */
export function sdpLines(spec: SdpSpec = {}): string[] {
  const codecs = spec.codecs?.length ? spec.codecs : (['PCMU'] as Codec[]);
  const crypto = spec.crypto === undefined ? [] : Array.isArray(spec.crypto) ? spec.crypto : [spec.crypto];
  if (spec.crypto !== undefined && crypto.length === 0) throw new Error('SDP: crypto is an empty list; leave it out for plain RTP/AVP');
  const tags = crypto.map((c, i) => c.tag ?? i + 1);
  if (new Set(tags).size !== tags.length) throw new Error(`SDP: a=crypto tags must differ within a media line (RFC 4568 §4.1), got ${tags.join(', ')}`);
  for (const c of codecs) if (!(c in CODECS)) throw new Error(`SDP: unknown codec "${c}" (known: ${Object.keys(CODECS).join(', ')})`);
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: spec.username ?? 'sipwright',
      sessionId: spec.sessionId ?? 53655765,
      sessionVersion: spec.version ?? FIRST_VERSION,
      netType: 'IN',
      ipVer: 4,
      // [media_ip], not [local_ip]: SIPp brackets [local_ip] when it is IPv6, and an SDP address has no brackets.
      address: '[media_ip]',
    },
    name: '-',
    connection: { version: 4, ip: '[media_ip]' },
    timing: { start: 0, stop: 0 },
    media: [
      {
        type: 'audio',
        port: PORT_PLACEHOLDER,
        protocol: crypto.length ? 'RTP/SAVP' : 'RTP/AVP',
        payloads: codecs.map((c) => CODECS[c]).join(' '),
        rtp: codecs.map((c) => ({ payload: CODECS[c], codec: c, rate: 8000 })),
        fmtp: [],
        direction: spec.direction ?? 'sendrecv',
        ...(crypto.length ? { crypto: crypto.map((c, i) => ({ id: tags[i], suite: c.suite, config: `inline:${c.key}` })) } : {}),
      },
    ],
  };
  return sdpTransform.write(session)
    .split('\r\n')
    .filter((l) => l !== '')
    .map(withKeywords);
}

/**
 * sdp-transform formats numbers as numbers, so the IP version and the port are written as placeholders and
 * swapped for SIPp's keywords ([local_ip_type] is 4 or 6, [media_port] the port SIPp's media socket has).
 */
const PORT_PLACEHOLDER = 9;
function withKeywords(line: string): string {
  if (line.startsWith('o=') || line.startsWith('c=')) return line.replace(/IN IP4 \[(local_ip|media_ip)\]$/, (_, kw: string) => `IN IP[${kw}_type] [${kw}]`);
  if (line.startsWith('m=')) return line.replace(/^m=(\w+) 9 /, (_, media: string) => `m=${media} [media_port] `);
  return line;
}

/** The direction a description states, media level first (RFC 3264 §5.1: none means sendrecv). */
export function directionOf(body: string): Direction {
  const s = sdpTransform.parse(body);
  return (s.media[0]?.direction ?? s.direction ?? 'sendrecv') as Direction;
}
