/**
 * A digest exchange as the wire shows it (RFC 3261 §22, RFC 7616, RFC 8760): the request a target turned back,
 * its 401 or 407, and the same request sent again with credentials; and what must hold of each.
 */
import { checkCredentials, normalizeAlgorithm, parseChallenges, parseCredentials, type ParsedChallenge, type ParsedCredentials } from '../../src/sip/digest.js';
import type { Role } from '../../src/lab/schema.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';

export interface DigestExchange {
  /** The request as first sent, and the challenge it got. */
  request: TraceMessage;
  challenge: TraceMessage;
  /** The challenges the response offers, in its order (one per header value). */
  offered: ParsedChallenge[];
  /** The request sent again with credentials (same Call-ID and method, after the challenge), if it came. */
  retry?: TraceMessage;
  credentials?: ParsedCredentials;
}

const CHALLENGE_HEADER = { 401: 'WWW-Authenticate', 407: 'Proxy-Authenticate' } as const;
const CREDENTIALS_HEADER = { 401: 'Authorization', 407: 'Proxy-Authorization' } as const;

function isChallenge(m: TraceMessage): m is TraceMessage & { status: 401 | 407 } {
  return m.status === 401 || m.status === 407;
}

/** The credentials a request carries for a challenge of this status, or undefined. */
export function credentialsOf(m: TraceMessage, status: 401 | 407): ParsedCredentials | undefined {
  const value = m.message.get(CREDENTIALS_HEADER[status]);
  return value === undefined ? undefined : parseCredentials(value);
}

/** Every challenge offered in a 401/407, in order: each header, and each comma-joined value in one. */
export function challengesIn(m: TraceMessage): ParsedChallenge[] {
  if (!isChallenge(m)) return [];
  return m.message.getAll(CHALLENGE_HEADER[m.status]).flatMap((v) => parseChallenges(v));
}

/**
 * The first challenge `party` got to a `method` request, and what it sent next: fails with a message that says
 * what the wire showed when no request of that method was challenged.
 */
export function digestExchange(trace: Trace, method: string, party: string, o: { after?: TraceMessage } = {}): DigestExchange {
  const challenge = trace.find({ cseqMethod: method, to: party, retransmissions: false, ...(o.after ? { after: o.after } : {}) }).find(isChallenge);
  if (!challenge) {
    const answers = trace.find({ cseqMethod: method, to: party, retransmissions: false }).filter((m) => m.status !== undefined && m.status >= 200).map((m) => m.label);
    throw new Error(`no ${method} of ${party} was challenged (401 or 407); its answers: ${answers.join(', ') || 'none'}`);
  }
  const request = trace.requestOf(challenge);
  if (!request) throw new Error(`the ${challenge.label} to ${party}'s ${method} matches no request on the wire`);
  const status = challenge.status as 401 | 407;
  const retry = trace
    .find({ method, from: party, callId: request.message.callId, retransmissions: false, after: challenge })
    .find((m) => m.message.get(CREDENTIALS_HEADER[status]) !== undefined);
  return { request, challenge, offered: challengesIn(challenge), ...(retry ? { retry, credentials: credentialsOf(retry, status) } : {}) };
}

/**
 * Who may challenge with what (RFC 3261 §22.1, §22.3): a registrar or a UAS uses 401, a proxy 407. A target that
 * is a proxy and nothing that may answer as a UAS (a PBX, a UA) must use 407 for every request but REGISTER.
 */
export function expectedChallengeStatus(method: string, roles: readonly Role[]): readonly (401 | 407)[] {
  if (method === 'REGISTER' && roles.includes('registrar')) return [401];
  const uas = roles.includes('pbx') || roles.includes('ua') || roles.includes('presence');
  return uas ? [401, 407] : [407];
}

/** The challenge the credentials answer: the offered one with their algorithm and realm. */
function answered(x: DigestExchange): ParsedChallenge | undefined {
  const alg = normalizeAlgorithm(x.credentials?.algorithm);
  return x.offered.find((c) => normalizeAlgorithm(c.algorithm) === alg && c.realm === x.credentials?.realm) ?? undefined;
}

/**
 * What is wrong with the credentials of the retry, in words for a verdict: the header for the challenge, and
 * realm, nonce, uri, algorithm, opaque, qop=auth with cnonce and an 8-digit nonce-count (RFC 7616 §3.4), and a
 * response that checks out for the account. Empty when all holds.
 */
export function credentialProblems(x: DigestExchange, account: { password: string; username: string }): string[] {
  const status = x.challenge.status as 401 | 407;
  if (!x.retry) return [`${x.request.from} never sent the ${x.request.method} again with ${CREDENTIALS_HEADER[status]} after the ${status}`];
  const wrongHeader = CREDENTIALS_HEADER[status === 401 ? 407 : 401];
  const problems: string[] = [];
  if (x.retry.message.get(wrongHeader) !== undefined) problems.push(`the retry carries ${wrongHeader}, which answers a ${status === 401 ? 407 : 401}, not this ${status}`);
  const c = x.credentials!;
  const ch = answered(x);
  if (!ch) return [...problems, `the credentials (algorithm ${c.algorithm ?? 'MD5'}, realm "${c.realm}") answer none of the challenges offered`];
  if (c.nonce !== ch.nonce) problems.push(`nonce "${c.nonce}" is not the challenge's "${ch.nonce}"`);
  const requestUri = x.retry.message.kind === 'request' ? x.retry.message.uriText : undefined;
  if (c.uri !== requestUri) problems.push(`uri "${c.uri}" is not the Request-URI "${requestUri}" (RFC 3261 §22.4)`);
  if (ch.opaque !== undefined && c.opaque !== ch.opaque) problems.push(`opaque "${c.opaque}" does not echo the challenge's "${ch.opaque}"`);
  if (ch.qop.map((q) => q.toLowerCase()).includes('auth')) {
    if (c.qop?.toLowerCase() !== 'auth') problems.push(`qop is ${c.qop ?? 'absent'}, where the challenge offered qop=auth`);
    if (!c.cnonce) problems.push('cnonce is missing (RFC 7616 §3.4: required with qop)');
    if (!/^[0-9a-f]{8}$/i.test(c.nc ?? '')) problems.push(`nc "${c.nc ?? ''}" is not 8 hex digits (RFC 7616 §3.4)`);
  }
  const verdict = checkCredentials(c, { password: account.password, method: x.retry.method ?? '', username: account.username, realm: ch.realm, nonce: ch.nonce });
  if (!verdict.ok) problems.push(`the response does not check out: ${verdict.reason}`);
  return problems;
}

/** A nonce-count as a number (hex on the wire). */
export function nonceCount(c: ParsedCredentials | undefined): number {
  return c?.nc === undefined ? NaN : parseInt(c.nc, 16);
}

/** The final response to a request (retransmissions left out), or undefined. */
export function finalTo(trace: Trace, request: TraceMessage): TraceMessage | undefined {
  return trace.responsesTo(request).find((r) => (r.status ?? 0) >= 200 && !r.retransmission);
}
