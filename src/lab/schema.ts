/**
 * zod schemas for the target file (the system under test) and the embedded lab's config. Objects are strict,
 * so a misspelt key is an error that names it rather than a silently ignored setting.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalIp } from '../util/host.js';

export const ROLES = ['registrar', 'proxy', 'pbx', 'ua', 'presence'] as const;
export type Role = (typeof ROLES)[number];
export const TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type TargetTransport = (typeof TRANSPORTS)[number];

/**
 * "host:port" or "host" (port 5060): an IPv4 address, a DNS name, or an IPv6 literal, bracketed when it has a
 * port ("[2001:db8::2]:5060", RFC 3986 §3.2.2) and bare when it has none ("2001:db8::2"). An IPv6 address
 * comes out in RFC 5952 form, as the capture writes it, so that a ladder finds the target by its text.
 */
const hostPort = z.string({
  // YAML reads an unquoted `address: [2001:db8::2]` as a list of one.
  error: (iss) => (Array.isArray(iss.input) ? `got a list: an IPv6 address in brackets is quoted in YAML (address: "[2001:db8::2]:5060"), or written bare (address: 2001:db8::2)` : undefined),
}).transform((value, ctx) => {
  // A bare IPv6 literal is the whole value: its last group is never read as a port.
  const m = isIP(value) === 6 ? [value, value] : /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(value) ?? /^([^:\s]+)(?::(\d+))?$/.exec(value);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected host:port (e.g. 127.0.0.50:5060, [2001:db8::2]:5060 or a bare 2001:db8::2), got "${value}"` });
    return z.NEVER;
  }
  const port = m[2] === undefined ? 5060 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `port ${m[2]} is outside 1..65535` });
    return z.NEVER;
  }
  const host = m[1];
  const bracketed = value.startsWith('[');
  if (bracketed && isIP(host) !== 6) {
    ctx.addIssue({ code: 'custom', message: `"[${host}]" is not an IPv6 address (only IPv6 literals are bracketed)` });
    return z.NEVER;
  }
  if (!isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
    ctx.addIssue({ code: 'custom', message: `"${host}" is neither an IP address nor a host name` });
    return z.NEVER;
  }
  return { host: canonicalIp(host), port };
});

const sipToken = z.string().min(1).regex(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/, 'must be a SIP user part (no spaces, no "@" or ":")');

/** Requests a target may challenge outside a dialog (RFC 3261 §22.1: a registrar with 401, a proxy with 407). */
export const CHALLENGED_METHODS = ['REGISTER', 'INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH'] as const;
export type ChallengedMethod = (typeof CHALLENGED_METHODS)[number];
export const DIGEST_ALGORITHMS = ['MD5', 'SHA-256', 'SHA-512-256'] as const;
export type DigestAlgorithmOffer = (typeof DIGEST_ALGORITHMS)[number];
const digestAlgorithms = z
  .array(z.enum(DIGEST_ALGORITHMS))
  .min(1, 'list at least one algorithm')
  .refine((a) => new Set(a).size === a.length, 'lists an algorithm twice');

export const AccountSchema = z
  .object({
    user: sipToken,
    password: z.string().min(1, 'must not be empty'),
    /** Auth user name, when it differs from the user part of the AoR. */
    authUser: sipToken.optional(),
    extension: z.string().optional(),
    /** The digest algorithms the target offers this account, in its order, when they differ from auth.algorithms. */
    algorithms: digestAlgorithms.optional(),
  })
  .strict();
export type Account = z.infer<typeof AccountSchema>;

const seconds = z.number().int('must be a whole number of seconds').min(0, 'must be 0 or more');

/** What a registrar declares about itself; a test that needs an undeclared capability is skipped, not failed. */
export const RegistrarCapsSchema = z
  .object({
    minExpires: seconds.optional(),
    maxExpires: seconds.optional(),
    maxContacts: z.number().int().min(1).optional(),
    /**
     * What it does with an expiry below minExpires: answer 423 with Min-Expires (`reject`, the default), or
     * grant the minimum instead (`raise`, as Asterisk does). RFC 3261 §10.3 step 7 makes the 423 a MAY.
     */
    belowMinimum: z.enum(['reject', 'raise']).optional(),
    /** An account whose bindings the registrar checks with OPTIONS every `every` seconds (a PBX's qualify). */
    qualify: z.object({ user: sipToken, every: z.number().int().min(1).max(3600) }).strict().optional(),
  })
  .strict();

/**
 * What a proxy declares about itself. `peer`: a domain the target routes to a next hop of its own (its
 * config sends requests for that domain to `address`); sipwright runs that domain's proxy there (so the
 * address must be one of this machine's) for the inter-domain tests, which are skipped without it.
 * `sequentialForking`: asked with `Request-Disposition: sequential` (RFC 3841 §9.1), it tries an AoR's
 * contacts one after the other by descending q (RFC 3261 §16.6); the sequential-forking tests need it.
 */
export const ProxyCapsSchema = z
  .object({
    /**
     * The other domain it routes, where sipwright runs that domain's proxy; `prefix`: the start of the numbers it
     * sends there (+4940: +4940101 goes to the other domain, whose proxy the lab gives the matching dial plan).
     */
    peer: z
      .object({ domain: z.string().min(1, 'must not be empty'), address: hostPort, prefix: z.string().regex(/^\+?[0-9]+$/, 'the start of a number: digits, with a leading + for the international form').optional() })
      .strict()
      .optional(),
    sequentialForking: z.boolean().optional(),
  })
  .strict();

/**
 * What a PBX declares about itself. `reliableRetransmitFromT1`: after how many T1 it first retransmits a
 * reliable provisional nobody PRACKed. RFC 3262 §3 says 1, doubling from there; Asterisk's PJSIP waits 2. Any
 * other value is a declared deviation: the retransmission test is skipped with it rather than failed.
 */
export const PbxCapsSchema = z
  .object({
    reliableRetransmitFromT1: z.number().int().min(1).max(64).optional(),
    /** It follows a callee's 3xx itself (a B2BUA's Dial), telling the caller with 181 (RFC 3261 §21.1.3). */
    followsRedirect: z.boolean().optional(),
    /** false: it does not take transfers (a REFER is refused: the transfer suite checks how, and skips the rest). */
    transfers: z.boolean().optional(),
  })
  .strict();

/**
 * SRTP keyed in SDP (RFC 4568 SDES), for a PBX or UA that ends the media (a proxy relays SDP as it is and
 * declares nothing). `sdes`: it answers an RTP/SAVP offer with a=crypto. `requiredBy`: an account whose calls
 * must be SRTP: its RTP/AVP-only offer is refused with 488; the SDES offer is made from it too, since a target
 * may take SRTP from that account alone. The SRTP tests are skipped without the declaration they need.
 */
export const SrtpCapsSchema = z
  .object({ sdes: z.boolean(), requiredBy: sipToken.optional() })
  .strict()
  .refine((s) => s.sdes || s.requiredBy === undefined, { message: 'an account whose calls must be SRTP needs sdes: true (its keys come in the SDP)', path: ['requiredBy'] });

/**
 * Each number of `numbers` is one as a user dials it (digits, a leading + for the international form), and
 * each user it names is one of the target file's accounts: the test registers it and calls the number. (Checked
 * here: zod's record keys fail with "Invalid key in record", not with what to write.)
 */
function numbersReachAccounts(t: { accounts: Array<{ user: string }>; numbers?: Record<string, string> }, ctx: z.RefinementCtx): void {
  for (const [number, user] of Object.entries(t.numbers ?? {})) {
    if (!/^\+?[0-9]+$/.test(number)) {
      ctx.addIssue({ code: 'custom', path: ['numbers', number], message: 'a number is digits, with a leading + for the international form' });
      continue;
    }
    if (t.accounts.some((a) => a.user === user)) continue;
    ctx.addIssue({ code: 'custom', path: ['numbers', number], message: `"${user}" is not one of the accounts (${t.accounts.map((a) => a.user).join(', ') || 'none listed'}): the test registers it and calls the number` });
  }
}

/** srtp.requiredBy names one of the target file's accounts. */
function srtpAccountKnown(t: { accounts: Array<{ user: string }>; srtp?: { requiredBy?: string } }, ctx: z.RefinementCtx): void {
  const user = t.srtp?.requiredBy;
  if (user === undefined || t.accounts.some((a) => a.user === user)) return;
  ctx.addIssue({ code: 'custom', path: ['srtp', 'requiredBy'], message: `"${user}" is not one of the accounts (${t.accounts.map((a) => a.user).join(', ') || 'none listed'}): the test calls from it` });
}

/**
 * A user agent or PBX that does RFC 4028 session timers itself declares it, with the smallest session
 * interval it accepts (its Min-SE, never below the RFC's 90 s); the session-timer tests of a PBX are skipped
 * without it. A proxy needs no declaration: it only has to carry the headers.
 */
export const SessionTimerCapsSchema = z
  .object({ minSE: z.number().int('must be a whole number of seconds').min(90, 'RFC 4028 §5: at least 90 seconds').default(90) })
  .strict();

/**
 * How a target authenticates. `challenges`: the requests it challenges outside a dialog (a registrar's
 * REGISTER is assumed), `inDialog` those inside one;
 * `algorithms`: the digest algorithms it offers, in its order, one challenge each (RFC 8760 §2.4: the
 * preferred first; MD5 when absent); `nonceLifetime`: seconds after which a nonce it issued is stale
 * (answered with `stale=true`); the security suite's tests of each are skipped without it.
 */
export const AuthCapsSchema = z
  .object({
    challenges: z.array(z.enum(CHALLENGED_METHODS)).optional(),
    algorithms: digestAlgorithms.optional(),
    nonceLifetime: z.number().int('must be a whole number of seconds').min(1, 'must be 1 or more').max(600, 'at most 600 s: a test waits it out').optional(),
    /** Requests inside a dialog it challenges as well (few do). */
    inDialog: z.array(z.enum(['INVITE', 'BYE', 'UPDATE', 'INFO', 'REFER', 'MESSAGE'])).optional(),
  })
  .strict();

export const TargetSchema = z
  .object({
    name: z.string().min(1, 'must not be empty'),
    address: hostPort,
    transport: z.enum(TRANSPORTS).default('udp'),
    roles: z.array(z.enum(ROLES)).min(1, 'list at least one role: ' + ROLES.join(', ')),
    domain: z.string().min(1).optional(),
    accounts: z.array(AccountSchema).default([]),
    /** URIs or numbers reaching features: echo, voicemail, park, … */
    features: z.record(z.string(), z.string()).default({}),
    /**
     * The numbers that reach its users, each dialled form on its own: `{ "100": alice, "+4930100": alice,
     * "004930100": alice }`. The routing suite calls each and checks where the translation shows.
     */
    numbers: z.record(z.string(), z.string().min(1, 'names the account the number reaches')).optional(),
    registrar: RegistrarCapsSchema.optional(),
    sessionTimers: SessionTimerCapsSchema.optional(),
    proxy: ProxyCapsSchema.optional(),
    pbx: PbxCapsSchema.optional(),
    srtp: SrtpCapsSchema.optional(),
    auth: AuthCapsSchema.optional(),
    /**
     * Over TLS: the CA file the parties verify the target's certificate with (a path, relative to the target
     * file), and the name that certificate must carry when it is not the address's host.
     */
    tls: z.object({ ca: z.string().min(1, 'must name a CA file'), serverName: z.string().min(1).optional() }).strict().optional(),
    /** The target's T1 in ms (RFC 3261 default 500); timer checks scale with it. */
    t1: z.number().int().min(1).max(60_000).default(500),
    /**
     * The local address the parties send from (they share it, told apart by port); by default the one that
     * routes to the target, as `ip route get` says. `sipwright run --local-address` overrides it.
     */
    local: z.object({ address: z.string().refine((a) => isIP(a) !== 0, 'must be an IP address of this machine').transform(canonicalIp) }).strict().optional(),
  })
  .strict()
  .superRefine(srtpAccountKnown)
  .superRefine(numbersReachAccounts)
  .refine((t) => t.transport !== 'tls' || t.tls !== undefined, { message: 'transport tls needs tls: { ca: FILE } (the CA the parties verify the target with)', path: ['tls'] });
export type TargetFile = z.infer<typeof TargetSchema>;

const runtimeKind = z.enum(['auto', 'native', 'container']);

/**
 * Where each lab node runs: `auto` is natively when its binary is installed, in its container otherwise. For
 * SIPp, `auto` also takes the container (SIPp 3.8) when the native SIPp lacks the transport a run asks for.
 */
const LabRuntimeSchema = z
  .object({ kamailio: runtimeKind.default('auto'), asterisk: runtimeKind.default('auto'), sipp: runtimeKind.default('auto') })
  .strict();

export const LabConfigSchema = z
  .object({
    /** T1 in ms for the embedded lab (RFC 3261 §17 allows a smaller one on a closed network). */
    t1: z.number().int().min(50).max(500).default(100),
    domain: z.string().min(1).default('sipwright.test'),
    accounts: z
      .array(AccountSchema)
      .min(2, 'the suites need at least two accounts')
      .default([
        { user: 'alice', password: 'alice-lab-secret' },
        { user: 'bob', password: 'bob-lab-secret' },
        { user: 'carol', password: 'carol-lab-secret' },
      ]),
    registrar: z
      .object({ minExpires: seconds.default(60), maxExpires: seconds.default(3600), defaultExpires: seconds.default(3600), maxContacts: z.number().int().min(1).default(10) })
      .strict()
      .default({ minExpires: 60, maxExpires: 3600, defaultExpires: 3600, maxContacts: 10 }),
    runtime: LabRuntimeSchema.default({ kamailio: 'auto', asterisk: 'auto', sipp: 'auto' }),
    /**
     * The embedded Kamailio authenticates its own users as a proxy: 407 on their INVITE, MESSAGE, SUBSCRIBE,
     * REFER and PUBLISH, as carrier and PBX proxies do (RFC 3261 §22.3), so the suites take the authenticated path.
     */
    // 'in-dialog': their re-INVITEs and BYEs in a dialog too, which few proxies do (the security suite's test of it).
    proxyAuth: z.union([z.boolean(), z.literal('in-dialog')], { error: 'must be true, false or in-dialog' }).default(false),
  })
  .strict();
export type LabConfig = z.infer<typeof LabConfigSchema>;

/** "accounts[1].password: must not be empty" — one line per problem, naming the field. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], where: string): string {
  const lines = issues.map((i) => {
    const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
    let msg = i.message;
    if (i.code === 'unrecognized_keys') msg = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    if (i.code === 'invalid_type' && /received undefined/.test(i.message)) msg = 'is required';
    return `  ${path || '(top level)'}: ${msg}`;
  });
  return `${where}:\n${lines.join('\n')}`;
}
