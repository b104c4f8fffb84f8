/**
 * SIP Digest authentication: parse and format challenges and credentials, compute and verify responses.
 * RFC 3261 §22 and §25.1 (grammar), RFC 2617 (qop, -sess), RFC 7616 (SHA-256, userhash, username*),
 * RFC 8760 (SHA-256 and SHA-512/256 for SIP). Pure: no I/O; the only randomness is a default cnonce.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  formatAuthParamList,
  isToken,
  parseAuthParamList,
  type AuthDiagnostic,
  type AuthParamLike,
  type AuthParamValue,
} from './auth-params.js';

export type { AuthDiagnostic, AuthParamValue, AuthParamLike } from './auth-params.js';
export { quoteString } from './auth-params.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
/** Any spelling the wire may carry; matching is case-insensitive. */
export type DigestAlgorithmName = DigestAlgorithm | (string & {});
export type DigestQop = 'auth' | 'auth-int';

interface AlgorithmInfo {
  name: DigestAlgorithm;
  /** node:crypto name. 'sha512-256' is the FIPS 180-4 function with its own IV, not a cut SHA-512. */
  hash: 'md5' | 'sha256' | 'sha512-256';
  sess: boolean;
  hexLength: number;
}

const ALGORITHMS = new Map<string, AlgorithmInfo>(
  ([
    ['MD5', 'md5', false, 32],
    ['MD5-sess', 'md5', true, 32],
    ['SHA-256', 'sha256', false, 64],
    ['SHA-256-sess', 'sha256', true, 64],
    ['SHA-512-256', 'sha512-256', false, 64],
    ['SHA-512-256-sess', 'sha512-256', true, 64],
  ] as const).map(([name, hash, sess, hexLength]) => [name.toLowerCase(), { name, hash, sess, hexLength }]),
);

/** Canonical spelling of a supported algorithm; absent means MD5 (RFC 2617 §3.2.1). Undefined if unsupported. */
export function normalizeAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined) return 'MD5';
  return ALGORITHMS.get(name.toLowerCase())?.name;
}

export function isSupportedAlgorithm(name: string | undefined): boolean {
  return normalizeAlgorithm(name) !== undefined;
}

/**
 * Hex length of a response for this algorithm, or undefined when unknown. The 3GPP AKA variants
 * (RFC 3310/4169, "AKAv1-MD5") still end in an MD5 digest, so their length is checkable even though
 * their password (RES) is not ours to compute.
 */
export function digestHexLength(name: string | undefined): number | undefined {
  const known = ALGORITHMS.get((name ?? 'MD5').toLowerCase());
  if (known) return known.hexLength;
  const aka = /^akav\d+-(.+)$/i.exec(name ?? '');
  return aka ? ALGORITHMS.get(aka[1].toLowerCase())?.hexLength : undefined;
}

function info(name: string | undefined): AlgorithmInfo {
  const a = ALGORITHMS.get((name ?? 'MD5').toLowerCase());
  if (!a) throw new RangeError(`unsupported digest algorithm '${name}'`);
  return a;
}

/** Lower-case hex digest; strings are hashed as UTF-8 (SIP text is UTF-8, RFC 3261 §7.3.1). */
export function digestHash(algorithm: DigestAlgorithmName | undefined, data: string | Buffer): string {
  return createHash(info(algorithm).hash).update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest('hex');
}

/* ------------------------------------------------------------------------------------------------ */
/* Computation                                                                                       */

export interface HA1Input {
  algorithm?: DigestAlgorithmName;
  username: string;
  realm: string;
  password: string;
  /** Needed by the -sess algorithms only. */
  nonce?: string;
  cnonce?: string;
}

/** H(A1). -sess rehashes the hex of the base HA1 with nonce and cnonce (RFC 2617 erratum, RFC 7616 §3.4.2). */
export function computeHA1(input: HA1Input): string {
  const a = info(input.algorithm);
  const base = digestHash(a.name, `${input.username}:${input.realm}:${input.password}`);
  if (!a.sess) return base;
  if (input.nonce === undefined || input.cnonce === undefined) throw new RangeError(`${a.name} needs nonce and cnonce`);
  return digestHash(a.name, `${base}:${input.nonce}:${input.cnonce}`);
}

export interface HA2Input {
  algorithm?: DigestAlgorithmName;
  method: string;
  uri: string;
  qop?: DigestQop | (string & {});
  /** Message body for auth-int; absent means an empty body, whose hash is H("") (RFC 3261 §22.4). */
  body?: Buffer | string;
}

export function computeHA2(input: HA2Input): string {
  const a = info(input.algorithm);
  if (input.qop !== undefined && input.qop.toLowerCase() === 'auth-int') {
    return digestHash(a.name, `${input.method}:${input.uri}:${digestHash(a.name, input.body ?? '')}`);
  }
  return digestHash(a.name, `${input.method}:${input.uri}`);
}

/** H(username ":" realm), what a client sends as username when userhash=true (RFC 7616 §3.4.4). */
export function computeUserhash(algorithm: DigestAlgorithmName | undefined, username: string, realm: string): string {
  return digestHash(algorithm, `${username}:${realm}`);
}

/** nc on the wire: 8 lower-case hex digits. Strings pass through untouched so a verifier hashes what was sent. */
export function formatNonceCount(nc: number | string): string {
  return typeof nc === 'string' ? nc : (nc >>> 0).toString(16).padStart(8, '0');
}

export interface DigestInput {
  algorithm?: DigestAlgorithmName;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  cnonce?: string;
  /** Number, or the exact 8-hex string from the wire. Defaults to 1 when qop is used. */
  nc?: number | string;
  qop?: DigestQop | (string & {});
  body?: Buffer | string;
  /**
   * Accepted for symmetry with the credentials; it does not change the response: A1 uses the real
   * username, userhash only replaces the username parameter (RFC 7616 §3.4.4, as curl implements it).
   */
  userhash?: boolean;
}

/**
 * request-digest as lower-case hex. With qop: H(HA1:nonce:nc:cnonce:qop:HA2); without: the RFC 2069
 * form H(HA1:nonce:HA2) that RFC 3261 §22.4 keeps for backwards compatibility. Throws on an
 * unsupported algorithm or a missing cnonce, which are caller errors, not wire data.
 */
export function computeDigestResponse(input: DigestInput): string {
  const a = info(input.algorithm);
  const ha1 = computeHA1({ ...input, algorithm: a.name });
  const ha2 = computeHA2({ ...input, algorithm: a.name });
  if (input.qop === undefined || input.qop === '') return digestHash(a.name, `${ha1}:${input.nonce}:${ha2}`);
  if (input.cnonce === undefined) throw new RangeError('qop requires a cnonce');
  const nc = formatNonceCount(input.nc ?? 1);
  return digestHash(a.name, `${ha1}:${input.nonce}:${nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/* ------------------------------------------------------------------------------------------------ */
/* Parsing                                                                                           */

export interface ParsedAuthValue {
  /** As written; compare case-insensitively (or use isDigest). */
  scheme: string;
  isDigest: boolean;
  params: Map<string, AuthParamValue>;
  token68?: string;
  diagnostics: AuthDiagnostic[];
  /** Offset (without base) of a second comma-joined value, when one was found; see parseChallenges. */
  next?: number;
}

export interface ParsedChallenge extends ParsedAuthValue {
  realm?: string;
  nonce?: string;
  opaque?: string;
  algorithm?: string;
  /** qop-options, in the order offered; empty when absent. */
  qop: string[];
  stale?: boolean;
  domain?: string[];
  userhash?: boolean;
  charset?: string;
}

export interface ParsedCredentials extends ParsedAuthValue {
  /** From username, or decoded from username* (RFC 7616 §3.4) when only that is present. */
  username?: string;
  realm?: string;
  nonce?: string;
  uri?: string;
  response?: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  /** Exactly as sent, so verification hashes the same bytes. */
  nc?: string;
  userhash?: boolean;
}

const GRAMMAR = 'RFC 3261 §25.1';

class Checker {
  constructor(
    readonly params: Map<string, AuthParamValue>,
    readonly diags: AuthDiagnostic[],
    readonly base: number,
  ) {}

  push(code: string, severity: AuthDiagnostic['severity'], rule: string, message: string, p?: AuthParamValue): void {
    this.diags.push({ code, severity, rule, message, offset: p?.offset ?? this.base });
  }

  /** The grammar fixes quoting per parameter; peers that get it wrong are common, so keep the value. */
  get(name: string, quoted: boolean, rule = `${GRAMMAR} (${name})`): string | undefined {
    const p = this.params.get(name);
    if (!p) return undefined;
    if (p.quoted !== quoted) {
      this.push(
        quoted ? 'digest-unquoted-param' : 'digest-quoted-param',
        'error',
        rule,
        quoted ? `'${name}' must be a quoted-string` : `'${name}' must not be quoted`,
        p,
      );
    }
    return p.value;
  }

  require(names: string[], rule: string, what: string): void {
    for (const name of names) {
      if (!this.params.has(name)) this.push('digest-missing-param', 'error', rule, `${what} lacks '${name}'`);
    }
  }

  boolean(name: string, rule: string): boolean | undefined {
    const v = this.get(name, false, rule);
    if (v === undefined) return undefined;
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
    this.push('digest-bad-boolean', 'error', rule, `'${name}' must be true or false, got '${v}'`, this.params.get(name));
    return undefined;
  }

  /** Is it lower-case hex (LHEX) of this length? Reports both the length and the case separately. */
  lhex(name: string, value: string, length: number | undefined, rule: string): void {
    const p = this.params.get(name);
    if (!/^[0-9a-fA-F]*$/.test(value)) {
      this.push('digest-not-hex', 'error', rule, `'${name}' is not hexadecimal: '${value}'`, p);
      return;
    }
    if (length !== undefined && value.length !== length) {
      this.push('digest-bad-length', 'error', rule, `'${name}' has ${value.length} hex digits, expected ${length}`, p);
    }
    if (/[A-F]/.test(value)) this.push('digest-uppercase-hex', 'error', rule, `'${name}' uses upper-case hex; LHEX is lower-case`, p);
  }
}

function common(value: string, base: number): ParsedAuthValue & { checker: Checker } {
  const l = parseAuthParamList(value, base);
  const isDigest = l.scheme.toLowerCase() === 'digest';
  const out: ParsedAuthValue & { checker: Checker } = {
    scheme: l.scheme,
    isDigest,
    params: l.params,
    diagnostics: l.diagnostics,
    checker: new Checker(l.params, l.diagnostics, base),
  };
  if (l.token68 !== undefined) out.token68 = l.token68;
  if (l.next !== undefined) out.next = l.next;
  return out;
}

function strip<T extends { checker?: Checker }>(o: T): Omit<T, 'checker'> {
  delete o.checker;
  return o;
}

/**
 * Parse a WWW-Authenticate / Proxy-Authenticate value (after the colon). Non-Digest schemes come back
 * with their raw params. Never throws; `base` is added to diagnostic offsets.
 */
export function parseChallenge(value: string, base = 0): ParsedChallenge {
  const c = common(value, base) as ParsedChallenge & { checker?: Checker };
  const ck = c.checker!;
  c.qop = [];
  const p = c.params;
  if (!c.isDigest) {
    // Basic and friends also have a realm; nothing else is interpreted.
    if (p.has('realm')) c.realm = p.get('realm')!.value;
    return strip(c) as ParsedChallenge;
  }
  ck.require(['realm', 'nonce'], 'RFC 2617 §3.2.1 (digest-challenge)', 'Digest challenge');
  const realm = ck.get('realm', true);
  if (realm !== undefined) c.realm = realm;
  const nonce = ck.get('nonce', true);
  if (nonce !== undefined) c.nonce = nonce;
  const opaque = ck.get('opaque', true);
  if (opaque !== undefined) c.opaque = opaque;
  const algorithm = ck.get('algorithm', false);
  if (algorithm !== undefined) c.algorithm = algorithm;
  const domain = ck.get('domain', true);
  if (domain !== undefined) {
    c.domain = domain.split(/[ \t]+/).filter((u) => u !== '');
    if (c.domain.length === 0) ck.push('digest-empty-domain', 'error', `${GRAMMAR} (domain)`, "'domain' must list at least one URI", p.get('domain'));
  }
  const qop = ck.get('qop', true, `${GRAMMAR} (qop-options)`);
  if (qop !== undefined) {
    const items = qop.split(',').map((q) => q.trim());
    for (const q of items) {
      if (!isToken(q)) ck.push('digest-bad-qop', 'error', `${GRAMMAR} (qop-options)`, `qop-options element '${q}' is not a token`, p.get('qop'));
      else c.qop.push(q);
    }
  }
  const stale = ck.boolean('stale', `${GRAMMAR} (stale)`);
  if (stale !== undefined) c.stale = stale;
  const userhash = ck.boolean('userhash', 'RFC 7616 §3.3 (userhash)');
  if (userhash !== undefined) c.userhash = userhash;
  const charset = ck.get('charset', false, 'RFC 7616 §3.3 (charset)');
  if (charset !== undefined) {
    c.charset = charset;
    if (charset.toLowerCase() !== 'utf-8') ck.push('digest-bad-charset', 'error', 'RFC 7616 §3.3 (charset)', `charset must be UTF-8, got '${charset}'`, p.get('charset'));
  }
  return strip(c) as ParsedChallenge;
}

/**
 * Every challenge in a value, for peers that comma-join several into one header field (forbidden by
 * RFC 3261 §7.3.1, and flagged on the first). Offsets stay relative to the whole value plus base.
 */
export function parseChallenges(value: string, base = 0): ParsedChallenge[] {
  const out: ParsedChallenge[] = [];
  let from = 0;
  while (from < value.length && out.length < 64) {
    const c = parseChallenge(value.slice(from), base + from);
    out.push(c);
    if (c.next === undefined || c.next === 0) break;
    from += c.next;
  }
  return out;
}

/** RFC 8187 / RFC 5987 ext-value: charset "'" [language] "'" pct-encoded. */
function decodeExtValue(v: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'[A-Za-z0-9-]*'(.*)$/.exec(v);
  if (!m) return undefined;
  const cs = m[1].toLowerCase();
  if (cs !== 'utf-8' && cs !== 'iso-8859-1') return undefined;
  const bytes: number[] = [];
  const body = m[2];
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    if (ch === 0x25) {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString(cs === 'utf-8' ? 'utf8' : 'latin1');
}

/**
 * Parse an Authorization / Proxy-Authorization value (after the colon). Never throws; `base` is added
 * to diagnostic offsets.
 */
export function parseCredentials(value: string, base = 0): ParsedCredentials {
  const c = common(value, base) as ParsedCredentials & { checker?: Checker };
  const ck = c.checker!;
  const p = c.params;
  if (!c.isDigest) {
    if (p.has('username')) c.username = p.get('username')!.value;
    if (p.has('realm')) c.realm = p.get('realm')!.value;
    return strip(c) as ParsedCredentials;
  }
  const required = ['realm', 'nonce', 'uri', 'response'];
  if (!p.has('username*')) required.unshift('username');
  ck.require(required, 'RFC 2617 §3.2.2 (digest-response)', 'Digest credentials');

  const username = ck.get('username', true);
  if (username !== undefined) c.username = username;
  const ext = p.get('username*');
  if (ext) {
    if (username !== undefined) ck.push('digest-username-conflict', 'error', 'RFC 7616 §3.4', "'username' and 'username*' must not both be present", ext);
    const decoded = decodeExtValue(ext.value);
    if (decoded === undefined) ck.push('digest-bad-username-star', 'error', 'RFC 7616 §3.4, RFC 5987 §3.2', `'username*' is not a valid ext-value: '${ext.value}'`, ext);
    else if (username === undefined) c.username = decoded;
    if (ext.quoted) ck.push('digest-quoted-param', 'error', 'RFC 7616 §3.4', "'username*' must not be quoted", ext);
  }
  for (const name of ['realm', 'nonce', 'opaque', 'cnonce'] as const) {
    const v = ck.get(name, true);
    if (v !== undefined) c[name] = v;
  }
  const uri = ck.get('uri', true, `${GRAMMAR} (digest-uri)`);
  if (uri !== undefined) c.uri = uri;
  const algorithm = ck.get('algorithm', false);
  if (algorithm !== undefined) c.algorithm = algorithm;

  const response = ck.get('response', true, `${GRAMMAR} (dresponse), RFC 8760 §2.2`);
  if (response !== undefined) {
    c.response = response;
    ck.lhex('response', response, digestHexLength(algorithm), `${GRAMMAR} (request-digest), RFC 8760 §2.2`);
  }

  const qop = ck.get('qop', false, `${GRAMMAR} (message-qop)`);
  if (qop !== undefined) {
    c.qop = qop;
    if (!isToken(qop)) ck.push('digest-bad-qop', 'error', `${GRAMMAR} (message-qop)`, `credentials carry one qop-value token, got '${qop}'`, p.get('qop'));
  }
  const nc = ck.get('nc', false, `${GRAMMAR} (nonce-count)`);
  if (nc !== undefined) {
    c.nc = nc;
    if (!/^[0-9a-fA-F]{8}$/.test(nc)) {
      ck.push('digest-bad-nc', 'error', `${GRAMMAR} (nc-value)`, `nc must be exactly 8 hex digits, got '${nc}'`, p.get('nc'));
    } else {
      ck.lhex('nc', nc, 8, `${GRAMMAR} (nc-value)`);
    }
  }
  const userhash = ck.boolean('userhash', 'RFC 7616 §3.4 (userhash)');
  if (userhash !== undefined) c.userhash = userhash;

  const qopRule = 'RFC 2617 §3.2.2, RFC 7616 §3.4';
  if (qop !== undefined) {
    if (!p.has('cnonce')) ck.push('digest-missing-param', 'error', qopRule, "'cnonce' is required when qop is sent", p.get('qop'));
    if (!p.has('nc')) ck.push('digest-missing-param', 'error', qopRule, "'nc' is required when qop is sent", p.get('qop'));
  } else {
    const sess = normalizeAlgorithm(algorithm)?.endsWith('-sess') === true;
    for (const name of sess ? ['nc'] : ['cnonce', 'nc']) {
      if (p.has(name)) ck.push('digest-param-without-qop', 'warning', qopRule, `'${name}' is sent without qop, so it takes no part in the digest`, p.get(name));
    }
  }
  if (normalizeAlgorithm(algorithm)?.endsWith('-sess') && !p.has('cnonce')) {
    ck.push('digest-missing-param', 'error', 'RFC 7616 §3.4.2', `'cnonce' is required by ${algorithm}`, p.get('algorithm'));
  }
  return strip(c) as ParsedCredentials;
}

/* ------------------------------------------------------------------------------------------------ */
/* Formatting                                                                                        */

type ExtraParams = Iterable<[string, AuthParamLike]>;

export interface ChallengeFields {
  /** Default "Digest". */
  scheme?: string;
  realm?: string;
  domain?: string[] | string;
  nonce?: string;
  opaque?: string;
  stale?: boolean;
  algorithm?: string;
  qop?: string[] | string;
  charset?: string;
  userhash?: boolean;
  /**
   * Other parameters, verbatim (quoted or not as they say); for non-Digest schemes the only ones.
   * A named field above wins over an entry of the same name, so a ParsedChallenge formats as itself.
   */
  params?: ExtraParams;
  token68?: string;
}

export interface CredentialsFields {
  scheme?: string;
  username?: string;
  realm?: string;
  nonce?: string;
  uri?: string;
  response?: string;
  algorithm?: string;
  cnonce?: string;
  opaque?: string;
  qop?: string;
  nc?: number | string;
  userhash?: boolean;
  params?: ExtraParams;
  token68?: string;
}

type Emit = Array<[string, AuthParamLike]>;

function assemble(out: Emit, extra: ExtraParams | undefined): Emit {
  if (!extra) return out;
  for (const [key, p] of extra) {
    const k = key.toLowerCase();
    // A named field already emitted this one; one the caller left undefined keeps its wire form.
    if (out.some(([n]) => n === k)) continue;
    out.push([k, p]);
  }
  return out;
}

const q = (value: string): AuthParamLike => ({ value, quoted: true });
const t = (value: string): AuthParamLike => ({ value, quoted: false });

/**
 * Challenge value with the conventional quoting: realm, domain, nonce, opaque and qop quoted; stale,
 * algorithm, charset and userhash bare. No validation, so a test can emit a deliberately broken one.
 */
export function formatChallenge(c: ChallengeFields): string {
  const out: Emit = [];
  if (c.realm !== undefined) out.push(['realm', q(c.realm)]);
  if (c.domain !== undefined) out.push(['domain', q(Array.isArray(c.domain) ? c.domain.join(' ') : c.domain)]);
  if (c.nonce !== undefined) out.push(['nonce', q(c.nonce)]);
  if (c.opaque !== undefined) out.push(['opaque', q(c.opaque)]);
  if (c.stale !== undefined) out.push(['stale', t(c.stale ? 'true' : 'false')]);
  if (c.algorithm !== undefined) out.push(['algorithm', t(c.algorithm)]);
  const qop = typeof c.qop === 'string' ? c.qop : c.qop !== undefined && c.qop.length > 0 ? c.qop.join(',') : undefined;
  if (qop !== undefined) out.push(['qop', q(qop)]);
  if (c.charset !== undefined) out.push(['charset', t(c.charset)]);
  if (c.userhash !== undefined) out.push(['userhash', t(c.userhash ? 'true' : 'false')]);
  return formatAuthParamList(c.scheme ?? 'Digest', assemble(out, c.params), c.token68);
}

/**
 * Credentials value with the conventional quoting: username, realm, nonce, uri, response, cnonce and
 * opaque quoted; algorithm, qop, nc and userhash bare (RFC 3261 §25.1, RFC 7616 §3.4).
 */
export function formatCredentials(c: CredentialsFields): string {
  const out: Emit = [];
  if (c.username !== undefined) out.push(['username', q(c.username)]);
  if (c.realm !== undefined) out.push(['realm', q(c.realm)]);
  if (c.nonce !== undefined) out.push(['nonce', q(c.nonce)]);
  if (c.uri !== undefined) out.push(['uri', q(c.uri)]);
  if (c.response !== undefined) out.push(['response', q(c.response)]);
  if (c.algorithm !== undefined) out.push(['algorithm', t(c.algorithm)]);
  if (c.cnonce !== undefined) out.push(['cnonce', q(c.cnonce)]);
  if (c.opaque !== undefined) out.push(['opaque', q(c.opaque)]);
  if (c.qop !== undefined) out.push(['qop', t(c.qop)]);
  if (c.nc !== undefined) out.push(['nc', t(formatNonceCount(c.nc))]);
  if (c.userhash !== undefined) out.push(['userhash', t(c.userhash ? 'true' : 'false')]);
  return formatAuthParamList(c.scheme ?? 'Digest', assemble(out, c.params), c.token68);
}

/* ------------------------------------------------------------------------------------------------ */
/* Client and verifier                                                                               */

export interface AuthorizationOptions {
  username: string;
  password: string;
  method: string;
  /** The Request-URI of the request being authenticated, verbatim. */
  uri: string;
  body?: Buffer | string;
  /** Default: 16 random bytes in hex, only when qop or a -sess algorithm needs one. */
  cnonce?: string;
  /** Default 1; the caller counts reuses of a nonce. */
  nc?: number | string;
  /** Choose this qop when the challenge offers it; otherwise auth is preferred over auth-int. */
  qop?: DigestQop;
}

/**
 * Answer a Digest challenge; returns the Authorization / Proxy-Authorization value. Echoes realm, nonce,
 * opaque and the algorithm as the challenge wrote them (RFC 3261 §22.4, UAC-11). Throws when the
 * challenge cannot be answered (non-Digest scheme, unsupported algorithm, only unknown qop values),
 * since no correct credentials exist then; check isSupportedAlgorithm first to avoid that.
 */
export function buildAuthorization(challenge: ParsedChallenge | string, opts: AuthorizationOptions): string {
  const ch = typeof challenge === 'string' ? parseChallenge(challenge) : challenge;
  if (!ch.isDigest) throw new Error(`cannot answer a '${ch.scheme}' challenge with Digest credentials`);
  const alg = normalizeAlgorithm(ch.algorithm);
  if (!alg) throw new Error(`unsupported digest algorithm '${ch.algorithm}'`);
  const offered = ch.qop.map((x) => x.toLowerCase());
  let qop: DigestQop | undefined;
  if (opts.qop !== undefined && offered.includes(opts.qop)) qop = opts.qop;
  else if (offered.includes('auth')) qop = 'auth';
  else if (offered.includes('auth-int')) qop = 'auth-int';
  else if (offered.length > 0) throw new Error(`no supported qop among '${ch.qop.join(',')}'`);

  const realm = ch.realm ?? '';
  const nonce = ch.nonce ?? '';
  const needsCnonce = qop !== undefined || alg.endsWith('-sess');
  const cnonce = needsCnonce ? opts.cnonce ?? randomBytes(16).toString('hex') : undefined;
  const nc = qop !== undefined ? formatNonceCount(opts.nc ?? 1) : undefined;
  const response = computeDigestResponse({
    algorithm: alg,
    username: opts.username,
    realm,
    password: opts.password,
    method: opts.method,
    uri: opts.uri,
    nonce,
    cnonce,
    nc,
    qop,
    body: opts.body,
  });
  return formatCredentials({
    username: ch.userhash ? computeUserhash(alg, opts.username, realm) : opts.username,
    realm,
    nonce,
    uri: opts.uri,
    response,
    algorithm: ch.algorithm,
    cnonce,
    opaque: ch.opaque,
    qop,
    nc,
    userhash: ch.userhash ? true : undefined,
  });
}

export interface VerifyOptions {
  password: string;
  /** Method of the request that carried the credentials (the A2 method, e.g. REGISTER, INVITE, ACK). */
  method: string;
  body?: Buffer | string;
  /** The real username; required when the credentials use userhash, checked against them otherwise. */
  username?: string;
  /** When given, the credentials must name this realm / nonce (the ones the challenge issued). */
  realm?: string;
  nonce?: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Why not, in words fit for a verdict. */
  reason?: string;
  /** The response the credentials should have carried, when it could be computed. */
  expected?: string;
}

/** verifyCredentials with the reason and the expected response, for reports. Never throws. */
export function checkCredentials(credentials: ParsedCredentials | string, opts: VerifyOptions): VerifyResult {
  const c = typeof credentials === 'string' ? parseCredentials(credentials) : credentials;
  if (!c.isDigest) return { ok: false, reason: `scheme '${c.scheme}' is not Digest` };
  const alg = normalizeAlgorithm(c.algorithm);
  if (!alg) return { ok: false, reason: `unsupported algorithm '${c.algorithm}'` };
  const missing = (['username', 'realm', 'nonce', 'uri', 'response'] as const).filter((k) => c[k] === undefined);
  if (missing.length > 0) return { ok: false, reason: `credentials lack ${missing.join(', ')}` };
  const qop = c.qop?.toLowerCase();
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return { ok: false, reason: `unsupported qop '${c.qop}'` };
  if ((qop !== undefined || alg.endsWith('-sess')) && c.cnonce === undefined) return { ok: false, reason: 'cnonce missing' };
  if (qop !== undefined && c.nc === undefined) return { ok: false, reason: 'nc missing' };
  if (opts.realm !== undefined && opts.realm !== c.realm) return { ok: false, reason: `realm '${c.realm}' is not the challenged '${opts.realm}'` };
  if (opts.nonce !== undefined && opts.nonce !== c.nonce) return { ok: false, reason: `nonce '${c.nonce}' is not the challenged '${opts.nonce}'` };

  let user = c.username!;
  if (c.userhash) {
    if (opts.username === undefined) return { ok: false, reason: 'userhash credentials need the real username to verify' };
    if (computeUserhash(alg, opts.username, c.realm!) !== user.toLowerCase()) return { ok: false, reason: 'username is not the userhash of the expected user' };
    user = opts.username;
  } else if (opts.username !== undefined && opts.username !== user) {
    return { ok: false, reason: `username '${user}' is not the expected '${opts.username}'` };
  }
  const expected = computeDigestResponse({
    algorithm: alg,
    username: user,
    realm: c.realm!,
    password: opts.password,
    method: opts.method,
    uri: c.uri!,
    nonce: c.nonce!,
    cnonce: c.cnonce,
    nc: c.nc,
    qop: c.qop,
    body: opts.body,
  });
  // Case is a grammar matter (reported by the parser), not a different digest.
  if (expected !== c.response!.toLowerCase()) return { ok: false, reason: 'response does not match', expected };
  return { ok: true, expected };
}

/** True when the credentials are a correct Digest answer for this password, method and body. */
export function verifyCredentials(credentials: ParsedCredentials | string, opts: VerifyOptions): boolean {
  return checkCredentials(credentials, opts).ok;
}
