/**
 * Renders kamailio.cfg from typed options. The config is a plain registrar/proxy in the style of Kamailio's
 * default config: in-memory usrloc, digest auth without a database, record-routing, loose routing, location
 * lookup with parallel forking (sequential by q when the caller asks for it with RFC 3841 Request-Disposition).
 * A negative control is this same template with a named defect on (defects.ts): a line or two added or
 * replaced inside one route, so it follows every fix of the good config. With no defect on, nothing changes.
 */
import { createHash } from 'node:crypto';
import { hostPort } from '../../src/util/host.js';
import { defectSwitch, type KamailioDefect } from './defects.js';
import type { KamailioOptions, KamailioTransport } from './options.js';

export const READY_LINE = 'SIPWRIGHT KAMAILIO READY';

function q(s: string): string {
  return JSON.stringify(s);
}

/** Kamailio string literals: escape the characters its lexer treats specially. */
function cfgString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$') + '"';
}

export interface RenderPaths {
  ctlSocket: string;
  /** The tls module's config file (certificate and key), as Kamailio sees it: needed when it listens for TLS. */
  tlsConfig?: string;
}

/** The port a transport listens on: TLS on its own (tlsPort, default port + 1), the others on port. */
export function listenPort(o: KamailioOptions, t: KamailioTransport): number {
  return t === 'tls' ? (o.tlsPort ?? o.port + 1) : o.port;
}

export function renderListen(o: KamailioOptions): string {
  // An IPv6 address is bracketed, as in a SIP URI, or Kamailio reads its last group as the port.
  return o.transports.map((t) => `listen=${t}:${hostPort(o.address, listenPort(o, t))}`).join('\n');
}

/**
 * The tls module's own config: its certificate, shown when it accepts a connection and when it opens one (a
 * party's SIPp asks a client for one), and no verification either way (the lab's parties present a
 * certificate of their own that no CA here vouches for). TLS 1.2 at least, as RFC 8996
 * and the security suite ask.
 */
export function renderTlsConfig(files: { certFile: string; keyFile: string }, o: { oldVersions?: boolean } = {}): string {
  // oldVersions: TLS 1.0 and 1.1 as well, at OpenSSL's security level 0 (their handshake needs SHA-1): a
  // negative control for RFC 8996, never a lab default.
  const side = (kind: 'server' | 'client') => `[${kind}:default]
method = ${o.oldVersions ? 'TLSv1+\ncipher_list = DEFAULT@SECLEVEL=0' : 'TLSv1.2+'}
verify_certificate = no
require_certificate = no
certificate = ${files.certFile}
private_key = ${files.keyFile}
`;
  return `# Rendered by sipwright (drivers/kamailio/config.ts).\n${side('server')}\n${side('client')}`;
}

export function renderGlobals(o: KamailioOptions, paths: RenderPaths): string {
  const tls = o.transports.includes('tls');
  if (tls && !paths.tlsConfig) throw new Error('a Kamailio listening for TLS needs its tls config file (RenderPaths.tlsConfig)');
  return `#!KAMAILIO
# Rendered by sipwright from typed options (drivers/kamailio/config.ts). Do not edit: edit the options.
debug=2
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=2
# One TCP reader: with two, a connection's messages could be read by either, and a 180 read by one was relayed
# after the 200 read by the other (seen in a loaded CI run). UDP keeps two receivers, as it always had.
tcp_children=1
# Connections it opens start from its listening port, as its UDP does: where parties share an address (a
# remote target's run), the ladder names a node by address and port, and an ephemeral port would be nobody.
tcp_reuse_port=yes
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
${renderListen(o)}
alias=${q(o.domain)}
alias=${q(hostPort(o.address, o.port))}
${tls ? `alias=${q(hostPort(o.address, listenPort(o, 'tls')))}\nenable_tls=yes\n` : ''}mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "auth.so"
loadmodule "ctl.so"
${tls ? `loadmodule "tls.so"\nmodparam("tls", "config", ${q(paths.tlsConfig ?? '')})\n` : ''}
modparam("ctl", "binrpc", ${q(`unix:${paths.ctlSocket}`)})
modparam("tm", "retr_timer1", ${o.timers.t1Ms})
modparam("tm", "retr_timer2", ${o.timers.t2Ms})
modparam("tm", "fr_timer", ${o.timers.finalResponseMs})
modparam("tm", "fr_inv_timer", ${o.timers.inviteAfterProvisionalMs})
modparam("tm", "contacts_avp", "tm_contacts")
modparam("tm", "contact_flows_avp", "tm_contact_flows")
modparam("rr", "enable_full_lr", 0)
modparam("rr", "append_fromtag", 1)
modparam("usrloc", "db_mode", 0)
modparam("registrar", "gruu_enabled", 0)
modparam("registrar", "min_expires", ${o.registrarOptions.minExpires})
modparam("registrar", "min_expires_mode", 1)
modparam("registrar", "max_expires", ${o.registrarOptions.maxExpires})
modparam("registrar", "default_expires", ${o.registrarOptions.defaultExpires})
modparam("registrar", "max_contacts", ${o.registrarOptions.maxContacts})
modparam("auth", "qop", "auth")
${o.nonceLifetimeS !== undefined ? `modparam("auth", "nonce_expire", ${o.nonceLifetimeS})\n` : ''}`;
}

/**
 * HA1 (MD5 of user:realm:password) for $au, or "" for an unknown user: no database needed, and no password in
 * the config file. pv_www_authenticate is called with flag 1 (the value is HA1) accordingly.
 */
function renderAccounts(o: KamailioOptions): string {
  const cases = o.accounts
    .map((a) => `\t\tcase ${cfgString(a.user)}:\n\t\t\t$var(pw) = "${createHash('md5').update(`${a.user}:${o.domain}:${a.password}`).digest('hex')}";\n\t\t\tbreak;`)
    .join('\n');
  // Kamailio refuses a switch with only a default branch.
  const body = cases ? `\tswitch($au) {\n${cases}\n\t\tdefault:\n\t\t\tbreak;\n\t}\n` : '';
  return `route[PASSWORD] {\n\t$var(pw) = "";\n${body}}`;
}

/**
 * The challenge to credentials that did not check out: with stale=true (flag 16) when only their nonce had
 * expired (-4), so the UA retries with the new nonce without asking its user (RFC 7616 §3.3); a plain one else.
 */
function challengeAgain(kind: 'www' | 'proxy', realm: string): string {
  return `if ($rc == -4) {\n\t\t\t${kind}_challenge(${realm}, "17");\n\t\t} else {\n\t\t\t${kind}_challenge(${realm}, "1");\n\t\t}`;
}

function renderRegistrar(o: KamailioOptions): string {
  const on = defectSwitch(o.defects);
  const realm = cfgString(o.domain);
  // wrong-password-accepted: the challenge goes out, but the credentials that come back are never checked.
  const verify = on('wrong-password-accepted')
    ? ''
    : `\troute(PASSWORD);
\tif ($var(pw) == "" || !pv_www_authenticate(${realm}, "$var(pw)", "1")) {
\t\t${challengeAgain('www', realm)}
\t\texit;
\t}
`;
  const auth = o.auth && !on('no-auth-challenge')
    ? `\tif (!is_present_hf("Authorization")) {
\t\twww_challenge(${realm}, "1");
\t\texit;
\t}
${verify}\tif ($au != $tU) {
\t\tsl_send_reply("403", "Authentication ID does not match the AoR");
\t\texit;
\t}
\tconsume_credentials();
`
    : '';
  // Contact: * is only valid with Expires: 0 (RFC 3261 §10.2.2), so the Expires test catches it too.
  const ignoreRemoval = on('deregistration-ignored')
    ? `\tif ($hdr(Expires) == "0" || $ct =~ "expires=0") {\n\t\tsl_send_reply("200", "OK");\n\t\texit;\n\t}\n`
    : '';
  // save() flags: 0x04 replaces the AoR's bindings with the request's contacts (contacts-dropped); 0x02 sends no
  // reply (ok-without-bindings answers a 200 of its own, without Contact). As flags, both defects can be on.
  const flags = (on('ok-without-bindings') ? 0x02 : 0) | (on('contacts-dropped') ? 0x04 : 0);
  const save = `save("location"${flags ? `, "0x0${flags}"` : ''})`;
  // save() sends the reply itself, errors (400, 423, 503) included: a second reply here would be a second final response.
  const store = on('ok-without-bindings')
    ? `\tif (!${save}) {\n\t\tsl_reply_error();\n\t\texit;\n\t}\n\tsl_send_reply("200", "OK");\n`
    : `\t${save};\n`;
  return `route[REGISTRAR] {
${auth}${ignoreRemoval}${store}\texit;
}`;
}

/**
 * Proxy authentication of the domain's own users (RFC 3261 §22.3), as the stock kamailio.cfg does it: a
 * request that starts a dialog or stands alone, From in our domain, is challenged with 407 until its
 * Proxy-Authorization checks out for the user in From; requests from other domains pass unchallenged.
 */
function renderProxyAuth(o: KamailioOptions): string {
  const realm = cfgString(o.domain);
  return `route[PROXYAUTH] {
\tif (!is_method("INVITE|MESSAGE|SUBSCRIBE|REFER|PUBLISH${o.proxyAuthInDialog ? '|BYE' : ''}") || !(from_uri == myself)) {
\t\treturn;
\t}
\tif (!is_present_hf("Proxy-Authorization")) {
\t\tproxy_challenge(${realm}, "1");
\t\texit;
\t}
\troute(PASSWORD);
\tif ($var(pw) == "" || !pv_proxy_authenticate(${realm}, "$var(pw)", "1")) {
\t\t${challengeAgain('proxy', realm)}
\t\texit;
\t}
\tif ($au != $fU) {
\t\tsl_send_reply("403", "Authentication ID does not match From");
\t\texit;
\t}
\tconsume_credentials();
}`;
}

function renderRouting(o: KamailioOptions): string {
  const on = defectSwitch(o.defects);
  const when = (d: KamailioDefect, lines: string) => (on(d) ? lines : '');
  // A connection to a peer leaves from this proxy's own socket of that transport ($fs): from a request that came
  // in over TLS, Kamailio otherwise let the kernel pick the source of a new TCP connection (127.0.0.1 here).
  const sendFrom = (t: 'tcp' | 'tls') => (o.transports.includes(t) ? `\t\t$fs = ${cfgString(`${t}:${hostPort(o.address, listenPort(o, t))}`)};\n` : '');
  const peers = o.peers
    .map((p) => `\tif ($rd == ${cfgString(p.domain)}) {\n\t\t$du = ${cfgString(`sip:${hostPort(p.address, p.port)}${p.transport ? `;transport=${p.transport}` : ''}`)};\n${p.transport ? sendFrom(p.transport) : ''}\t\troute(RELAY);\n\t\texit;\n\t}`)
    .join('\n');
  // Every request the proxy forwards passes RELAY, so what a broken ALG or SBC does to them goes here, after
  // the INVITE retransmission fix, which a broken proxy keeps like every other line of the good route.
  const relayDefects = [
    when('bye-timeout-early', `\tif (is_method("BYE")) {\n\t\tt_set_fr(0, 300);\n\t}\n`),
    // Only a request leaving for another domain: $du is set (route FOREIGN) and the Request-URI is not ours.
    when('foreign-uri-rewritten', `\tif (!has_totag() && $du != $null && !(uri == myself)) {\n\t\t$rd = $dd;\n\t\t$rp = $dp;\n\t}\n`),
    when('sdp-direction-stripped', `\tif (has_body("application/sdp")) {\n\t\treplace_body_all("a=(sendonly|recvonly|inactive)\\r\\n", "");\n\t}\n`),
    when('sdp-mangled', `\tif (has_body("application/sdp")) {\n\t\treplace_body_all("c=IN IP4 [0-9.]+", "c=IN IP4 192.0.2.1");\n\t}\n`),
    when('sdp-version-frozen', `\tif (has_body("application/sdp")) {\n\t\tsubst_body('/(o=[^ ]+ [0-9]+) [0-9]+ IN /\\1 1 IN /g');\n\t}\n`),
  ].join('');
  // cancel-not-forwarded answers before any tm call, so tm cannot relay the CANCEL on its own either.
  const cancel = on('cancel-not-forwarded') ? `\tsl_send_reply("200", "OK");\n` : `\tif (t_check_trans()) {\n\t\troute(RELAY);\n\t}\n`;
  const recordRoute = on('no-record-route')
    ? ''
    : `\tif (is_method("INVITE|SUBSCRIBE")${when('foreign-not-record-routed', ' && uri == myself')}) {\n\t\trecord_route();\n\t}\n`;
  // Requests that start a dialog pass RECORDROUTE, so the header strippers go there too.
  const recordRouteDefects = [
    when('strips-require', `\tif (is_method("INVITE")) {\n\t\tremove_hf("Require");\n\t}\n`),
    // "x" is Session-Expires' compact form (RFC 4028 §4).
    when('strips-session-expires', `\tremove_hf("Session-Expires");\n\tremove_hf("x");\n`),
    // Kamailio refuses an empty route block; a bare return goes back to the caller as the block's end would.
    when('no-record-route', `\treturn;\n`),
  ].join('');
  // Challenged in a dialog too: the 407 to a re-INVITE goes out statefully (t_newtran), so that its ACK, which
  // carries the dialog's Route, is absorbed by that transaction (t_check_trans) instead of loose-routed on.
  const inDialogAuth = o.proxyAuth && o.proxyAuthInDialog
    ? `\tif (is_method("ACK")) {\n\t\tt_check_trans();\n\t}\n\tif (is_method("INVITE|BYE") && from_uri == myself) {\n\t\tt_newtran();\n\t\troute(PROXYAUTH);\n\t}\n`
    : '';
  const withinDialogDefects = [
    when('bye-answered-by-proxy', `\tif (is_method("BYE")) {\n\t\tsl_send_reply("200", "OK");\n\t}\n`),
    when('drops-prack', `\tif (is_method("PRACK")) {\n\t\texit;\n\t}\n`),
    when('refer-rejected', `\tif (is_method("REFER")) {\n\t\tsl_send_reply("403", "Transfer not allowed");\n\t\texit;\n\t}\n`),
    when('drops-notify', `\tif (is_method("NOTIFY")) {\n\t\texit;\n\t}\n`),
    // "b" is Referred-By's compact form (RFC 3892 §3).
    when('strips-referred-by', `\tif (is_method("REFER")) {\n\t\tremove_hf("Referred-By");\n\t\tremove_hf("b");\n\t}\n`),
  ].join('');
  const notFound = on('unknown-user-500') ? `"500", "Lookup failed"` : `"404", "Not Found"`;
  // Clearing the destination set also marks the Request-URI as used; setting it again keeps that one target,
  // so a sequential search (route SERIAL) has no other contact to move on to either.
  const noFork = when('no-fork', `\t$var(first) = $ru;\n\tclear_branches();\n\t$ru = $var(first);\n`);
  const serial = on('serial-ignored') ? `\treturn;\n` : `\tt_load_contacts();\n\tt_next_contacts();\n\tt_on_failure("NEXT_CONTACTS");\n`;
  // tm caps every retransmission interval at retr_timer2, INVITEs included, but Timer A doubles with no cap
  // (RFC 3261 §17.1.1.2): an INVITE's cap is raised to Timer B, which ends the transaction first.
  return `route[RELAY] {
\tif (is_method("INVITE")) {
\t\tt_set_retr(0, ${o.timers.finalResponseMs});
\t}
${relayDefects}\tif (!t_relay()) {
\t\tsl_reply_error();
\t}
\texit;
}

route[CANCEL] {
${cancel}\texit;
}

route[RECORDROUTE] {
${recordRoute}${recordRouteDefects}}

route[WITHINDLG] {
${inDialogAuth}${withinDialogDefects}\tif (loose_route()) {
\t\troute(RELAY);
\t\texit;
\t}
\tif (is_method("ACK")) {
\t\tif (t_check_trans()) {
\t\t\troute(RELAY);
\t\t}
\t\texit;
\t}
\tsl_send_reply("404", "Not here");
\texit;
}

route[LOCATION] {
\tif (!lookup("location")) {
\t\t$var(rc) = $rc;
\t\tt_newtran();
\t\tswitch ($var(rc)) {
\t\t\tcase -1:
\t\t\tcase -3:
\t\t\t\tsend_reply(${notFound});
\t\t\t\texit;
\t\t\tcase -2:
\t\t\t\tsend_reply("405", "Method Not Allowed");
\t\t\t\texit;
\t\t}
\t}
${noFork}\tif ($hdr(Request-Disposition) =~ "sequential") {
\t\troute(SERIAL);
\t}
\troute(RELAY);
}

# The caller asked for a sequential search (RFC 3841 §9.1): contacts are tried by descending q, equal q in
# parallel (RFC 3261 §16.6), the next group only once the current one has failed.
route[SERIAL] {
${serial}}

failure_route[NEXT_CONTACTS] {
\tif (t_is_canceled()) {
\t\texit;
\t}
\t# A 6xx ends the whole search (RFC 3261 §16.7 step 5): no further branch.
\tif (t_check_status("6[0-9][0-9]")) {
\t\texit;
\t}
\tif (!t_next_contacts()) {
\t\texit;
\t}
\tt_on_failure("NEXT_CONTACTS");
\tt_relay();
}

${renderNumbers(o)}

route[FOREIGN] {
${peers}
\tsl_send_reply("404", "Unknown domain");
\texit;
}`;
}

/**
 * The dial plan: a number's 00 form is made its + form first, so one entry serves both (the defect
 * numbers-forget-00 leaves that out); each number then becomes its user's name, which the location lookup
 * takes. A proper prefix of a number is answered 484 (RFC 3261 §21.4.22): the caller may be dialling it still.
 */
function renderNumbers(o: KamailioOptions): string {
  const on = defectSwitch(o.defects);
  const entries = Object.entries(o.numbers);
  const reaches = new Map(entries);
  // An 00 number whose + form reaches the same user is served by the normalisation.
  const table = entries.filter(([n, user]) => !(n.startsWith('00') && reaches.get(`+${n.slice(2)}`) === user));
  const prefixes = new Set<string>();
  for (const [n] of table) for (let i = 1; i < n.length; i++) prefixes.add(n.slice(0, i));
  for (const [n] of table) prefixes.delete(n);
  prefixes.delete('+');
  const normalise = on('numbers-forget-00') ? '' : `\tif ($rU =~ "^00[1-9]") {\n\t\t$rU = "+" + $(rU{s.substr,2,0});\n\t}\n`;
  // Numbers of another domain's prefix go to that domain's proxy, the number as it is (route FOREIGN).
  const prefixed = o.peers
    .filter((p) => p.prefix)
    .map((p) => `\tif ($(rU{s.substr,0,${p.prefix!.length}}) == ${cfgString(p.prefix!)}) {\n\t\t$rd = ${cfgString(p.domain)};\n\t\troute(FOREIGN);\n\t}\n`)
    .join('');
  const lookups = table.map(([n, user]) => `\tif ($rU == ${cfgString(n)}) {\n\t\t$rU = ${cfgString(user)};\n\t\treturn;\n\t}\n`).join('');
  const incomplete = [...prefixes].sort().map((p) => `$rU == ${cfgString(p)}`);
  const overlap = incomplete.length ? `\tif (${incomplete.join(' || ')}) {\n\t\tsl_send_reply("484", "Address Incomplete");\n\t\texit;\n\t}\n` : '';
  return `route[NUMBERS] {\n${normalise}${prefixed}${lookups}${overlap}\treturn;\n}`;
}

function renderRequestRoute(o: KamailioOptions): string {
  const on = defectSwitch(o.defects);
  const realm = cfgString(o.domain);
  // proxy-challenge-401: its users' INVITEs are challenged as a registrar or a UAS would, which a proxy must not
  // (RFC 3261 §22.3): 401 with WWW-Authenticate, and Authorization checked.
  const wrongChallenge = on('proxy-challenge-401')
    ? `\tif (is_method("INVITE") && from_uri == myself) {
\t\tif (!is_present_hf("Authorization")) {
\t\t\twww_challenge(${realm}, "1");
\t\t\texit;
\t\t}
\t\troute(PASSWORD);
\t\tif ($var(pw) == "" || !pv_www_authenticate(${realm}, "$var(pw)", "1")) {
\t\t\twww_challenge(${realm}, "1");
\t\t\texit;
\t\t}
\t\tconsume_credentials();
\t}
`
    : '';
  const register = o.registrar
    ? `\tif (is_method("REGISTER")) {\n\t\troute(REGISTRAR);\n\t\texit;\n\t}`
    : `\tif (is_method("REGISTER")) {\n\t\tsl_send_reply("405", "Method Not Allowed");\n\t\texit;\n\t}`;
  const proxy = o.proxy
    ? `${o.proxyAuth ? '\troute(PROXYAUTH);\n' : ''}\troute(RECORDROUTE);
\tif (!uri == myself) {
\t\troute(FOREIGN);
\t}
\tif ($rU == $null) {
\t\tsl_send_reply("484", "Address Incomplete");
\t\texit;
\t}
\troute(NUMBERS);
\troute(LOCATION);`
    : `\tsl_send_reply("403", "Not a proxy");`;
  return `request_route {
\tif (!mf_process_maxfwd_header("10")) {
\t\tsl_send_reply("483", "Too Many Hops");
\t\texit;
\t}
\tif (is_method("OPTIONS") && uri == myself && $rU == $null) {
\t\tsl_send_reply("200", "Keepalive");
\t\texit;
\t}
\tif (has_totag()) {
\t\troute(WITHINDLG);
\t\texit;
\t}
\t// Hop-by-hop CANCEL and non-2xx ACK: relayed only when they match a transaction of ours. CANCEL goes
\t// through a named route before any tm call, so a broken variant can answer it without forwarding it.
\tif (is_method("CANCEL")) {
\t\troute(CANCEL);
\t}
\tif (is_method("ACK")) {
\t\tif (t_check_trans()) {
\t\t\troute(RELAY);
\t\t}
\t\texit;
\t}
\tt_check_trans();
\tremove_hf("Route");
${wrongChallenge}${register}
${proxy}
}

event_route[core:worker-one-init] {
\txlog("L_NOTICE", "${READY_LINE}\\n");
}`;
}

/**
 * Replaces `route[NAME] { … }` blocks of a rendered config with the given ones (each override text holds
 * whole route blocks): for tests of a config Kamailio refuses to start with. A negative control is a named
 * defect (defects.ts) instead: a whole replaced route would no longer follow the good one.
 */
export function applyRouteOverrides(cfg: string, overrides: string[]): string {
  let out = cfg;
  for (const text of overrides) {
    const blocks = [...text.matchAll(/^route\[([A-Za-z0-9_]+)\]\s*\{[\s\S]*?^\}/gm)];
    if (blocks.length === 0) throw new Error(`route override holds no "route[NAME] { … }" block:\n${text.slice(0, 200)}`);
    for (const b of blocks) {
      const name = b[1];
      const re = new RegExp(`^route\\[${name}\\]\\s*\\{[\\s\\S]*?^\\}`, 'm');
      if (!re.test(out)) throw new Error(`route override: the config has no route[${name}] to replace`);
      out = out.replace(re, () => b[0]);
    }
  }
  return out;
}

/** The whole kamailio.cfg. It holds password hashes (HA1): written with mode 0600, never attached. */
export function renderKamailioConfig(o: KamailioOptions, paths: RenderPaths, routeOverrides: string[] = []): string {
  const cfg = [renderGlobals(o, paths), renderRequestRoute(o), renderRegistrar(o), ...(o.proxy && o.proxyAuth ? [renderProxyAuth(o)] : []), renderAccounts(o), renderRouting(o)].join('\n\n') + '\n';
  return applyRouteOverrides(cfg, routeOverrides);
}
