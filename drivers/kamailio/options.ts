/** Typed options for the Kamailio endpoint; the config file is rendered from these (config.ts). */
import type { KamailioDefect } from './defects.js';

export type KamailioTransport = 'udp' | 'tcp' | 'tls';

export interface KamailioAccount {
  user: string;
  password: string;
}

export interface RegistrarOptions {
  /** Below this, REGISTER gets 423 with Min-Expires (RFC 3261 §10.3 step 7). 0 = no minimum. */
  minExpires: number;
  /** Above this, the registrar lowers the expiry it grants. 0 = no maximum. */
  maxExpires: number;
  /** Granted when the request names no expiry. */
  defaultExpires: number;
  /** Bindings per AoR; 0 = unlimited. */
  maxContacts: number;
}

export interface TmTimers {
  /** RFC 3261 T1 in ms: the lab shortens it (allowed on a closed network, §17) so timer tests run fast. */
  t1Ms: number;
  t2Ms: number;
  /** Timer B/F: how long a transaction waits for a final response (64·T1 by the RFC). */
  finalResponseMs: number;
  /** How long an INVITE waits for a final response after a provisional one (Timer C, ≥ 3 min by the RFC). */
  inviteAfterProvisionalMs: number;
}

export interface KamailioOptions {
  address: string;
  port: number;
  transports: KamailioTransport[];
  /** Where tls listens (TLS and TCP can't share a port): default port + 1, 5061 beside 5060. */
  tlsPort?: number;
  /** The SIP domain it is responsible for (also the digest realm). */
  domain: string;
  registrar: boolean;
  proxy: boolean;
  /** Challenge REGISTER with digest (401) for the accounts below. */
  auth: boolean;
  /**
   * Challenge requests from its own users (From in its domain) that start a dialog or stand alone (INVITE,
   * MESSAGE, SUBSCRIBE, REFER, PUBLISH) with 407 and Proxy-Authenticate, as carrier and PBX proxies do
   * (RFC 3261 §22.3): the stock kamailio.cfg's `from_uri==myself` rule. Off unless asked for.
   */
  proxyAuth?: boolean;
  /** With proxyAuth: its users' re-INVITEs and BYEs in a dialog are challenged too (few proxies do; the UA must cope). */
  proxyAuthInDialog?: boolean;
  /** nonce_expire: seconds a nonce it issues stays fresh (Kamailio's default 300); an older one is challenged with stale=true. */
  nonceLifetimeS?: number;
  accounts: KamailioAccount[];
  registrarOptions: RegistrarOptions;
  timers: TmTimers;
  /**
   * Other domains and the address of the proxy serving each, for inter-domain routing; `transport` when it must
   * be reached over TCP (a proxy listening on TCP only), else what the request came over decides; `prefix`, the
   * start of the numbers of its own domain it sends there (route[NUMBERS]).
   */
  peers: Array<{ domain: string; address: string; port: number; transport?: 'tcp' | 'tls'; prefix?: string }>;
  /**
   * Its dial plan: a dialled number (digits, + for international) and the user it reaches. A number dialled
   * with 00 reaches what its + form reaches; a proper prefix of a number is answered 484 (overlap dialling).
   */
  numbers: Record<string, string>;
  /** Deliberate defects for a negative control (defects.ts); none for a good target. */
  defects: readonly KamailioDefect[];
}

export function defaultTimers(t1Ms = 500): TmTimers {
  // T2 keeps its RFC ratio to T1 (4 s / 500 ms).
  return { t1Ms, t2Ms: 8 * t1Ms, finalResponseMs: 64 * t1Ms, inviteAfterProvisionalMs: 180_000 };
}

export const DEFAULT_REGISTRAR: RegistrarOptions = { minExpires: 60, maxExpires: 3600, defaultExpires: 3600, maxContacts: 10 };
