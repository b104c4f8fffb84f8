/**
 * The SIPp command line, from typed options. Every run gets the flags LAB-NOTES asks for: -nostdin,
 * -timeout with -timeout_error (plain -timeout can exit 0), -i with -bind_local, -cp with -ci (the control
 * socket binds INADDR_ANY unless -ci names an address: SIPp's setup_ctrl_socket), a unique -cid_str, -m, and
 * every trace file SIPp can write, so a failure always leaves its evidence.
 */

import { isIP } from 'node:net';
import { redact } from '../../src/report/redact.js';

/** ws and wss are SIP over WebSocket (RFC 7118), plain and on TLS. tls, ws and wss need SIPp 3.8 (the sipp image). */
export type SippTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** SIPp's -t mode for each transport, one socket for every call. */
export const TRANSPORT_MODE: Record<SippTransport, string> = { udp: 'u1', tcp: 't1', tls: 'l1', ws: 'w1', wss: 'x1' };

/** The kernel's view of the SIP socket: UDP, or a TCP listener for the stream transports. */
export function socketKind(t: SippTransport): 'udp' | 'tcp' {
  return t === 'udp' ? 'udp' : 'tcp';
}

/** TLS files (PEM): the CA that verifies the peer, and this SIPp's own certificate and key (needed to accept TLS). */
export interface SippTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface SippOptions {
  binary: string;
  localIp?: string;
  localPort: number;
  remote?: string;
  transport: SippTransport;
  calls: number;
  rate?: { calls: number; periodMs?: number };
  /** Most calls open at once (-l). */
  limit?: number;
  auth?: { user: string; password: string };
  service?: string;
  /** -key name value: `[name]` in messages. */
  variables: Record<string, string>;
  /** -set name value: the global `[$name]` variables. */
  globals: Record<string, string>;
  timeoutMs: number;
  controlPort?: number;
  t1Ms?: number;
  mediaPort?: number;
  tls?: SippTls;
  /** -inf files: CSV whose fields the scenario reads as [field0], [field1], … */
  injectionFiles: string[];
  /** Extra arguments, passed last and as given. */
  extraArgs: string[];
}

/** Where one run's files go (all inside its log dir). */
export interface RunFiles {
  scenario: string;
  errors: string;
  messages: string;
  screen: string;
  stats: string;
  logs: string;
}

const KEY = /^[A-Za-z0-9_.-]+$/;

/**
 * Where SIPp's control socket binds (-ci): the local address, or for an IPv6 one IPv4 loopback. SIPp opens that
 * socket as AF_INET whatever -ci says (setup_ctrl_socket), so `-ci 2001:db8::1` fails with "Address family not
 * supported by protocol" (SIPp 3.6.1, measured) and SIPp exits before its first message.
 */
export function controlAddress(localIp: string): string {
  return isIP(localIp) === 6 ? '127.0.0.1' : localIp;
}

export function buildArgs(o: SippOptions, files: RunFiles, callIdPrefix: string, controlPort: number): string[] {
  if (!o.localIp) throw new Error('SIPp needs withLocal(ip, port): nothing may bind 0.0.0.0');
  const args: string[] = [];
  if (o.remote) args.push(o.remote);
  args.push('-sf', files.scenario);
  args.push('-i', o.localIp, '-p', String(o.localPort), '-bind_local');
  args.push('-t', TRANSPORT_MODE[o.transport]);
  if (o.tls?.ca) args.push('-tls_ca', o.tls.ca);
  if (o.tls?.cert) args.push('-tls_cert', o.tls.cert);
  if (o.tls?.key) args.push('-tls_key', o.tls.key);
  for (const f of o.injectionFiles) args.push('-inf', f);
  args.push('-ci', controlAddress(o.localIp), '-cp', String(controlPort));
  args.push('-nostdin');
  args.push('-m', String(o.calls));
  if (o.rate) {
    args.push('-r', String(o.rate.calls));
    if (o.rate.periodMs !== undefined) args.push('-rp', `${o.rate.periodMs}ms`);
  } else {
    // SIPp's default rate (10 calls/s) starts the first call 100 ms after start, over TCP on a connection it
    // has already opened: PJSIP (Asterisk 22) may close an idle new connection under it (see LAB-NOTES). At
    // 1000/s the first request goes 5 ms after start (measured), and every scenario starts 95 ms sooner.
    args.push('-r', '1000');
  }
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  // SIPp 3.6 keeps -timeout in whole seconds: "700ms" becomes 0, which means no timeout at all (measured).
  args.push('-timeout', `${Math.max(1, Math.ceil(o.timeoutMs / 1000))}s`, '-timeout_error');
  // %u (call number) keeps calls of one run apart; the prefix keeps runs apart (SIPp's default uses the pid, the same in every container).
  args.push('-cid_str', `${callIdPrefix}-%u@%s`);
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.auth) args.push('-au', o.auth.user, '-ap', o.auth.password);
  for (const [k, v] of Object.entries(o.variables)) {
    if (!KEY.test(k)) throw new Error(`SIPp -key name "${k}" must match ${KEY}`);
    args.push('-key', k, v);
  }
  for (const [k, v] of Object.entries(o.globals)) {
    if (!KEY.test(k)) throw new Error(`SIPp -set name "${k}" must match ${KEY}`);
    args.push('-set', k, v);
  }
  // SIPp 3.6 has no T1 option (retrans= per send carries it); T2 follows the lab's ratio of 8 × T1.
  if (o.t1Ms !== undefined) args.push('-T2', String(8 * o.t1Ms));
  if (o.mediaPort !== undefined) args.push('-mp', String(o.mediaPort));
  args.push('-trace_err', '-error_file', files.errors);
  args.push('-trace_msg', '-message_file', files.messages);
  args.push('-trace_screen', '-screen_file', files.screen);
  args.push('-trace_stat', '-stf', files.stats);
  args.push('-trace_logs', '-log_file', files.logs);
  args.push(...o.extraArgs);
  return args;
}

/** The command as it may be recorded: the password replaced by `***`, arguments quoted where needed. */
export function displayCommand(binary: string, args: readonly string[], secrets: readonly string[]): string {
  const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  // Whole arguments first (so the quoting cannot hide a secret), then any secret inside another argument.
  return redact([binary, ...args].map((a) => (secrets.includes(a) ? '***' : quote(a))).join(' '), secrets);
}
