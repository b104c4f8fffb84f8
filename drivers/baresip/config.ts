/**
 * baresip's `config` and `accounts` files, rendered from the typed options. The account line (it holds the
 * password) is only ever in the `accounts` file (mode 0600, in the endpoint's own folder): never on the ctrl
 * connection, which a capture of the lab's addresses records. baresip 1.0 has no "register now" command, so
 * register() rewrites that file with a registration interval and has baresip load it again (insmod account.so).
 */
import { hostPort, uriHost } from '../../src/util/host.js';
import type { BaresipAccount, BaresipOptions } from './options.js';

/** Printed once every module is loaded and ctrl_tcp listens. */
export const READY_LINE = 'baresip is ready.';

export interface BaresipPaths {
  /** The 8 kHz audio source (tone.ts), as baresip sees it. */
  toneFile: string;
  /** Where its modules are (the image's /usr/lib/baresip/modules). */
  modulePath: string;
}

/**
 * Modules loaded, and why only these: g711 is the one codec family (8 kHz, which is what the aufile source
 * must match: aufile refuses a file whose rate differs from the codec's, and ausine makes 48 kHz only). aubridge
 * is a player that needs no sound card. menu carries the commands ctrl_tcp relays, and it is also what follows
 * a REFER (it dials the Refer-To target on baresip's TRANSFER event).
 */
const MODULES = ['g711.so', 'aufile.so', 'aubridge.so'];
const APP_MODULES = ['menu.so', 'ctrl_tcp.so'];
/** Reads the `accounts` file when loaded, and is unloaded once it has (baresip's module_tmp). */
export const ACCOUNT_MODULE = 'account';

export function renderBaresipConfig(o: BaresipOptions, paths: BaresipPaths): string {
  return [
    'poll_method\tepoll',
    `sip_listen\t${hostPort(o.address, o.port)}`,
    // An interface name such as `lo` makes baresip pick the interface's first address (127.0.0.1), not ours.
    `net_interface\t${o.address}`,
    'call_local_timeout\t120',
    'call_max_calls\t4',
    'audio_player\taubridge,nil',
    `audio_source\taufile,${paths.toneFile}`,
    'audio_alert\taubridge,nil',
    `rtp_ports\t${o.rtpPorts.start}-${o.rtpPorts.end}`,
    `module_path\t${paths.modulePath}`,
    ...MODULES.map((m) => `module\t${m}`),
    ...(o.account ? [`module_tmp\t${ACCOUNT_MODULE}.so`] : []),
    ...APP_MODULES.map((m) => `module_app\t${m}`),
    `ctrl_tcp_listen\t${hostPort(o.address, o.ctrlPort)}`,
    '',
  ].join('\n');
}

/** The AOR baresip names the account by (uadel takes it; events carry it as accountaor). */
export function accountAor(a: BaresipAccount): string {
  return `sip:${a.user}@${uriHost(a.domain)}`;
}

/**
 * Characters the account line can't carry in a value: `;` and `,` end a parameter, `"` and `<>` delimit, and
 * baresip does not unescape. Found in a value they would change the account, so they are refused instead.
 */
const UNSAFE = /[;,"<>\\\s]/;

/** Checks an account's fields; the error names the endpoint and the field. */
export function checkAccount(name: string, a: BaresipAccount): void {
  const fields: Array<[keyof BaresipAccount, string | undefined]> = [
    ['user', a.user],
    ['password', a.password],
    ['domain', a.domain],
    ['registrar', a.registrar],
  ];
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    if (field !== 'registrar' && field !== 'password' && value.length === 0) throw new Error(`${name}: account ${field} is empty`);
    // The password is named, never shown.
    if (UNSAFE.test(value)) throw new Error(`${name}: account ${field}${field === 'password' ? '' : ` "${value}"`} holds a character baresip's account line can't carry (; , " < > \\ or a space)`);
  }
  if (a.registrar !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/.test(a.registrar)) {
    throw new Error(`${name}: account registrar "${a.registrar}" is not host:port`);
  }
  if (a.transport !== undefined && a.transport !== 'udp' && a.transport !== 'tcp') throw new Error(`${name}: account transport "${String(a.transport)}" is not udp or tcp`);
}

/**
 * The `accounts` file's line: `<sip:user@domain>;auth_pass=…;outbound="sip:registrar";regint=…;answermode=…`.
 * `register` false gives regint=0: the account exists (it can call and answer) but sends no REGISTER.
 */
export function accountLine(o: BaresipOptions, a: BaresipAccount, register: boolean): string {
  const tcp = a.transport === 'tcp' ? ';transport=tcp' : '';
  const params = [`auth_user=${a.user}`];
  if (a.password.length > 0) params.push(`auth_pass=${a.password}`);
  // outbound= is the proxy every request of the account goes to, the REGISTER included (quoted: it may hold ";").
  if (a.registrar) params.push(`outbound="sip:${a.registrar}${tcp}"`);
  params.push(`regint=${register && a.registrar ? o.registerIntervalS : 0}`);
  params.push(`answermode=${o.autoAnswer ? 'auto' : 'manual'}`);
  return `<${accountAor(a)}${tcp}>;${params.join(';')}`;
}
