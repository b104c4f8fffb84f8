/**
 * Which system a run tests: an embedded endpoint the lab starts itself ("embedded:kamailio"), or an external
 * one described by a target file. Everything a suite needs to decide what to run is known at collection time
 * (roles, accounts, declared capabilities); the embedded target's address only once the lab has started it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { uriHost } from '../util/host.js';
import { formatIssues, LabConfigSchema, TargetSchema, type Account, type ChallengedMethod, type DigestAlgorithmOffer, type LabConfig, type Role, type TargetTransport } from './schema.js';

export class ConfigError extends Error {}

export const EMBEDDED_TARGETS = ['embedded:kamailio', 'embedded:asterisk'] as const;
export type EmbeddedName = (typeof EMBEDDED_TARGETS)[number];

/** Another domain and where its proxy listens; sipwright runs that proxy (see ProxyCapsSchema). */
export interface PeerSpec {
  domain: string;
  host?: string;
  port: number;
  /** The start of the numbers the target routes to that domain (routing suite). */
  prefix?: string;
}

export interface TargetPlan {
  name: string;
  kind: 'embedded' | 'external';
  embedded?: EmbeddedName;
  /** Known up front for an external target; filled in when the lab starts an embedded one. */
  host?: string;
  port: number;
  transport: TargetTransport;
  domain?: string;
  roles: Role[];
  accounts: Account[];
  features: Record<string, string>;
  /** Dialled numbers and the account user each reaches (a target file's `numbers`, the embedded dial plans). */
  numbers?: Record<string, string>;
  registrar?: { minExpires?: number; maxExpires?: number; maxContacts?: number; belowMinimum?: 'reject' | 'raise'; qualify?: { user: string; every: number } };
  /** It does RFC 4028 session timers itself, refusing intervals below minSE seconds (see SessionTimerCapsSchema). */
  sessionTimers?: { minSE: number };
  /**
   * A proxy's declarations: `peer` is the other domain it routes, and where (the embedded one's host is set at
   * start); `sequentialForking`, that it honours Request-Disposition: sequential (ProxyCapsSchema).
   */
  proxy?: { peer?: PeerSpec; sequentialForking?: boolean };
  /** A PBX's declarations (PbxCapsSchema). */
  pbx?: { reliableRetransmitFromT1?: number; followsRedirect?: boolean; transfers?: boolean };
  /** SRTP with SDES keys (SrtpCapsSchema): it answers RTP/SAVP offers with a=crypto; requiredBy's calls must be SRTP. */
  srtp?: { sdes: boolean; requiredBy?: string };
  /** How it authenticates (AuthCapsSchema): the requests it challenges, its digest algorithms, its nonces' lifetime. */
  auth?: { challenges?: ChallengedMethod[]; algorithms?: DigestAlgorithmOffer[]; nonceLifetime?: number; inDialog?: string[] };
  /** Over TLS (a target file's `tls`): the CA file the parties verify it with (an absolute path), and its name. */
  tls?: { ca: string; serverName?: string };
  t1Ms: number;
  /**
   * The local address the parties share (target file `local.address`, or `--local-address`); absent, a
   * target on loopback gets a loopback address per party, and any other the address that routes to it.
   */
  local?: { address: string };
  /** Where the plan came from, for messages. */
  source: string;
}

function readStructured(path: string, what: string): unknown {
  if (!existsSync(path)) throw new ConfigError(`${what} ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      // `address: [2001:db8::2]:5060` starts a YAML list: the brackets need quotes.
      const line = pos ? text.split('\n')[pos.line - 1] ?? '' : '';
      const hint = /^\s*address:\s*\[/.test(line) ? ` (an IPv6 address with a port is quoted in YAML: address: "[2001:db8::2]:5060")` : '';
      throw new ConfigError(`${what} ${path}${pos ? ` line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}${hint}`);
    }
    throw new ConfigError(`${what} ${path}: ${(e as Error).message}`);
  }
}

export function loadLabConfig(path?: string): LabConfig {
  const raw = path ? readStructured(path, 'lab config') ?? {} : {};
  const r = LabConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, `lab config ${path}`));
  return r.data;
}

/** A target file's `tls.ca`, relative to the file's folder, and there. */
function caFileOf(ca: string, file: string): string {
  const p = resolvePath(dirname(file), ca);
  if (!existsSync(p)) throw new ConfigError(`target file ${file}:\n  tls.ca: ${p} does not exist`);
  return p;
}

export function loadTargetFile(path: string): TargetPlan {
  const raw = readStructured(path, 'target file');
  const r = TargetSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, `target file ${path}`));
  const t = r.data;
  return {
    name: t.name,
    kind: 'external',
    host: t.address.host,
    port: t.address.port,
    transport: t.transport,
    // A domain is a URI host: an IPv6 address stands in brackets there (sip:alice@[2001:db8::2]).
    domain: t.domain ?? uriHost(t.address.host),
    roles: t.roles,
    accounts: t.accounts,
    features: t.features,
    ...(t.numbers ? { numbers: t.numbers } : {}),
    registrar: t.registrar,
    ...(t.sessionTimers ? { sessionTimers: t.sessionTimers } : {}),
    ...(t.proxy
      ? {
          proxy: {
            ...(t.proxy.peer ? { peer: { domain: t.proxy.peer.domain, host: t.proxy.peer.address.host, port: t.proxy.peer.address.port, ...(t.proxy.peer.prefix ? { prefix: t.proxy.peer.prefix } : {}) } } : {}),
            ...(t.proxy.sequentialForking !== undefined ? { sequentialForking: t.proxy.sequentialForking } : {}),
          },
        }
      : {}),
    ...(t.pbx ? { pbx: t.pbx } : {}),
    ...(t.srtp ? { srtp: t.srtp } : {}),
    ...(t.auth ? { auth: t.auth } : {}),
    ...(t.tls ? { tls: { ...t.tls, ca: caFileOf(t.tls.ca, path) } } : {}),
    t1Ms: t.t1,
    ...(t.local ? { local: { address: t.local.address } } : {}),
    source: path,
  };
}

/** The numbers the embedded proxy sends to the other domain: +4940… (and 004940…). */
export const EMBEDDED_PEER_PREFIX = '+4940';

/**
 * The embedded targets' dial plan: the first two accounts each reached by a short extension, an international
 * number and that number dialled with 00 (10x, +4930 10x, 004930 10x), as an office's numbers are.
 */
export function embeddedNumbers(lab: Pick<LabConfig, 'accounts'>): Record<string, string> {
  const numbers: Record<string, string> = {};
  lab.accounts.slice(0, 2).forEach((a, i) => {
    const extension = `10${i}`;
    for (const n of [extension, `+4930${extension}`, `004930${extension}`]) numbers[n] = a.user;
  });
  return numbers;
}

/** What each embedded system is: the roles it plays and the features its config provides. */
const EMBEDDED_SHAPES: Record<EmbeddedName, { roles: Role[]; features: Record<string, string>; belowMinimum: 'reject' | 'raise'; pbx?: TargetPlan['pbx']; sessionTimers?: TargetPlan['sessionTimers']; challenges: (lab: LabConfig) => ChallengedMethod[] }> = {
  // A registrar and a record-routing proxy: the suites about proxies and the RFC 3261 UA core.
  // It challenges its users' dialog-starting and stand-alone requests only with proxyAuth on (route[PROXYAUTH]).
  'embedded:kamailio': { roles: ['registrar', 'proxy'], features: {}, belowMinimum: 'reject',
    challenges: (lab) => (lab.proxyAuth ? ['REGISTER', 'INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH'] : ['REGISTER']) },
  // A registrar and a B2BUA (PBX): two dialogs per call, its own features reached by extension. Its registrar
  // grants the minimum for a too brief expiry rather than answering 423 (measured on Asterisk 22).
  // Its PJSIP first retransmits an un-PRACKed reliable provisional after 2·T1, then 4·T1 … (sip_100rel.c,
  // measured on Asterisk 22), where RFC 3262 §3 starts at T1.
  'embedded:asterisk': { roles: ['registrar', 'pbx'], features: { echo: '600', answerHangup: '601', musicOnHold: '602', park: '700', pickup: '**' }, belowMinimum: 'raise', pbx: { reliableRetransmitFromT1: 2, followsRedirect: true },
    // Asterisk's own session timers, at its defaults (timers=yes, Min-SE 90 s).
    sessionTimers: { minSE: 90 },
    // res_pjsip challenges every out-of-dialog request of an endpoint with inbound auth (measured on Asterisk 22).
    // SUBSCRIBE too, but with no event package loaded it answers the authenticated one 489 without the
    // Allow-Events RFC 6665 §8.3.2 requires (EVT-09), so its challenge test can't pass here: left undeclared.
    challenges: () => ['REGISTER', 'INVITE', 'MESSAGE'] },
};

/**
 * How long an embedded target's nonces live (Kamailio's nonce_expire, Asterisk's nonce_lifetime): short, so
 * the stale-nonce test waits seconds, and long enough for any challenge to be answered in time.
 */
export const EMBEDDED_NONCE_LIFETIME_S = 4;

/**
 * The embedded Asterisk's account that it challenges with SHA-256 before MD5 (RFC 8760), beside the lab's
 * accounts: the others keep MD5 alone, which the native SIPp 3.6 answers (SHA-256 takes the sipp image's 3.8).
 */
export const SHA256_ACCOUNT: Account = { user: 'dave', password: 'dave-lab-secret', algorithms: ['SHA-256', 'MD5'] };

/**
 * The embedded Asterisk's plain third party (transfer target, picker-up, forwarding target): carol, its third,
 * is qualified with OPTIONS, and dave is SHA-256's, answered by SIPp 3.8 in a container, slower to start.
 */
export const SPARE_ACCOUNT: Account = { user: 'erin', password: 'erin-lab-secret' };

/**
 * The embedded Asterisk's account whose calls must be SRTP (its endpoint has media_encryption = sdes), beside
 * the lab's accounts, whose calls keep plain RTP for the other suites.
 */
export const SDES_ACCOUNT: Account = { user: 'srtp-only', password: 'srtp-only-lab-secret' };

/** The embedded Asterisk declares SRTP with SDES, required of SDES_ACCOUNT; the embedded Kamailio, a proxy, nothing. */
function withSdes(name: EmbeddedName, plan: TargetPlan): TargetPlan {
  if (name !== 'embedded:asterisk') return plan;
  return { ...plan, accounts: [...plan.accounts.filter((a) => a.user !== SDES_ACCOUNT.user), SDES_ACCOUNT], srtp: { sdes: true, requiredBy: SDES_ACCOUNT.user } };
}

/** The embedded PBX qualifies the third account's bindings (the suites register the first two all the time). */
export const QUALIFY_SECONDS = 2;

/** The embedded proxy's other domain: a name of its own under the lab's, so never the lab's domain itself. */
export function peerDomainOf(domain: string): string {
  return `peer.${domain}`;
}

export function embeddedPlan(name: EmbeddedName, lab: LabConfig): TargetPlan {
  const shape = EMBEDDED_SHAPES[name];
  const qualified = name === 'embedded:asterisk' ? lab.accounts[2] : undefined;
  return withSdes(name, {
    name,
    kind: 'embedded',
    embedded: name,
    port: 5060,
    transport: 'udp',
    domain: lab.domain,
    roles: [...shape.roles],
    accounts: name === 'embedded:asterisk' ? [...lab.accounts.filter((a) => a.user !== SHA256_ACCOUNT.user && a.user !== SPARE_ACCOUNT.user), SHA256_ACCOUNT, SPARE_ACCOUNT] : lab.accounts,
    features: { ...shape.features },
    numbers: embeddedNumbers(lab),
    registrar: { minExpires: lab.registrar.minExpires, maxExpires: lab.registrar.maxExpires, maxContacts: lab.registrar.maxContacts, belowMinimum: shape.belowMinimum,
      ...(qualified ? { qualify: { user: qualified.authUser ?? qualified.user, every: QUALIFY_SECONDS } } : {}),
    },
    // The embedded proxy routes a second domain to a proxy the lab runs beside it (the inter-domain tests), and
    // its config forks sequentially on request (drivers/kamailio/config.ts, route[SERIAL]).
    ...(shape.roles.includes('proxy') ? { proxy: { peer: { domain: peerDomainOf(lab.domain), port: 5060, prefix: EMBEDDED_PEER_PREFIX }, sequentialForking: true } } : {}),
    ...(shape.pbx ? { pbx: { ...shape.pbx } } : {}),
    ...(shape.sessionTimers ? { sessionTimers: { ...shape.sessionTimers } } : {}),
    auth: {
      challenges: shape.challenges(lab),
      nonceLifetime: EMBEDDED_NONCE_LIFETIME_S,
      ...(name === 'embedded:kamailio' && lab.proxyAuth === 'in-dialog' ? { inDialog: ['INVITE', 'BYE'] } : {}),
    },
    t1Ms: lab.t1,
    source: name,
  });
}

/** `--target` value: an embedded name, or a path to a YAML/JSON target file. */
export function resolveTarget(spec: string | undefined, lab: LabConfig): TargetPlan {
  const s = spec ?? 'embedded:kamailio';
  if (s.startsWith('embedded:')) {
    if (!(EMBEDDED_TARGETS as readonly string[]).includes(s)) {
      throw new ConfigError(`unknown embedded target "${s}"; known: ${EMBEDDED_TARGETS.join(', ')}`);
    }
    return embeddedPlan(s as EmbeddedName, lab);
  }
  return loadTargetFile(s);
}

/**
 * The targets of a run. Named ones (`--target`, repeatable) run every suite, and a test whose roles a target
 * lacks is skipped with the reason. With none named, every embedded target runs the suites whose roles it
 * has (`every`): the interop matrix.
 */
export interface TargetSelection {
  plans: TargetPlan[];
  mode: 'named' | 'every';
}

export function selectTargets(specs: readonly string[], lab: LabConfig): TargetSelection {
  if (specs.length) return { plans: specs.map((s) => resolveTarget(s, lab)), mode: 'named' };
  return { plans: EMBEDDED_TARGETS.map((n) => embeddedPlan(n, lab)), mode: 'every' };
}

/** All the secrets a plan holds, for redaction of everything that reaches a report or a log. */
export function secretsOf(plan: TargetPlan): string[] {
  return plan.accounts.map((a) => a.password).filter((p) => p.length > 0);
}
