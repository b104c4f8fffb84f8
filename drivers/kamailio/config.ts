/**
 * Renders kamailio.cfg from typed options. The config is a plain registrar/proxy in the style of Kamailio's
 * default config: in-memory usrloc, digest auth without a database, record-routing, loose routing, location
 * lookup with parallel forking (sequential by q when the caller asks for it with RFC 3841 Request-Disposition).
 * The route blocks are named so a broken variant (fixtures/) can replace one.
 */
import { createHash } from 'node:crypto';
import type { KamailioOptions } from './options.js';

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
}

export function renderListen(o: KamailioOptions): string {
  return o.transports.map((t) => `listen=${t}:${o.address}:${o.port}`).join('\n');
}

export function renderGlobals(o: KamailioOptions, paths: RenderPaths): string {
  return `#!KAMAILIO
# Rendered by sipwright from typed options (drivers/kamailio/config.ts). Do not edit: edit the options.
debug=2
log_stderror=yes
log_prefix="{$mt $hdr(CSeq) $ci} "
children=2
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
${renderListen(o)}
alias=${q(o.domain)}
alias=${q(`${o.address}:${o.port}`)}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"

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
`;
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

function renderRegistrar(o: KamailioOptions): string {
  const realm = cfgString(o.domain);
  const auth = o.auth
    ? `\tif (!is_present_hf("Authorization")) {
\t\twww_challenge(${realm}, "1");
\t\texit;
\t}
\troute(PASSWORD);
\tif ($var(pw) == "" || !pv_www_authenticate(${realm}, "$var(pw)", "1")) {
\t\twww_challenge(${realm}, "1");
\t\texit;
\t}
\tif ($au != $tU) {
\t\tsl_send_reply("403", "Authentication ID does not match the AoR");
\t\texit;
\t}
\tconsume_credentials();
`
    : '';
  // save() sends the reply itself, errors (400, 423, 503) included: a second reply here would be a second final response.
  return `route[REGISTRAR] {
${auth}\tsave("location");
\texit;
}`;
}

function renderRouting(o: KamailioOptions): string {
  const peers = o.peers
    .map((p) => `\tif ($rd == ${cfgString(p.domain)}) {\n\t\t$du = ${cfgString(`sip:${p.address}:${p.port}`)};\n\t\troute(RELAY);\n\t\texit;\n\t}`)
    .join('\n');
  // tm caps every retransmission interval at retr_timer2, INVITEs included, but Timer A doubles with no cap
  // (RFC 3261 §17.1.1.2): an INVITE's cap is raised to Timer B, which ends the transaction first.
  return `route[RELAY] {
\tif (is_method("INVITE")) {
\t\tt_set_retr(0, ${o.timers.finalResponseMs});
\t}
\tif (!t_relay()) {
\t\tsl_reply_error();
\t}
\texit;
}

route[CANCEL] {
\tif (t_check_trans()) {
\t\troute(RELAY);
\t}
\texit;
}

route[RECORDROUTE] {
\tif (is_method("INVITE|SUBSCRIBE")) {
\t\trecord_route();
\t}
}

route[WITHINDLG] {
\tif (loose_route()) {
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
\t\t\t\tsend_reply("404", "Not Found");
\t\t\t\texit;
\t\t\tcase -2:
\t\t\t\tsend_reply("405", "Method Not Allowed");
\t\t\t\texit;
\t\t}
\t}
\tif ($hdr(Request-Disposition) =~ "sequential") {
\t\troute(SERIAL);
\t}
\troute(RELAY);
}

# The caller asked for a sequential search (RFC 3841 §9.1): contacts are tried by descending q, equal q in
# parallel (RFC 3261 §16.6), the next group only once the current one has failed.
route[SERIAL] {
\tt_load_contacts();
\tt_next_contacts();
\tt_on_failure("NEXT_CONTACTS");
}

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

route[FOREIGN] {
${peers}
\tsl_send_reply("404", "Unknown domain");
\texit;
}`;
}

function renderRequestRoute(o: KamailioOptions): string {
  const register = o.registrar
    ? `\tif (is_method("REGISTER")) {\n\t\troute(REGISTRAR);\n\t\texit;\n\t}`
    : `\tif (is_method("REGISTER")) {\n\t\tsl_send_reply("405", "Method Not Allowed");\n\t\texit;\n\t}`;
  const proxy = o.proxy
    ? `\troute(RECORDROUTE);
\tif (!uri == myself) {
\t\troute(FOREIGN);
\t}
\tif ($rU == $null) {
\t\tsl_send_reply("484", "Address Incomplete");
\t\texit;
\t}
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
${register}
${proxy}
}

event_route[core:worker-one-init] {
\txlog("L_NOTICE", "${READY_LINE}\\n");
}`;
}

/**
 * Replaces `route[NAME] { … }` blocks of a rendered config with the given ones (each override text holds
 * whole route blocks). This is how a deliberately broken variant (fixtures/kamailio/broken/) differs from
 * the good config by exactly one route.
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
  const cfg = [renderGlobals(o, paths), renderRequestRoute(o), renderRegistrar(o), renderAccounts(o), renderRouting(o)].join('\n\n') + '\n';
  return applyRouteOverrides(cfg, routeOverrides);
}
