/**
 * Renders Asterisk's config files from typed options: a PBX on chan_pjsip with a registrar (one endpoint, AOR
 * and auth per account), a dialplan where dialling an account bridges to it (Asterisk as a B2BUA: a second
 * dialog of its own toward the callee) and a few feature numbers (echo, answer-then-hang-up, music on hold,
 * park). Modules are loaded by name (autoload=no), so the image's other modules and sample configs play no
 * part: every config Asterisk reads is one of these files.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AsteriskOptions } from './options.js';
import { TLS_FILES } from '../../src/runtime/tls-material.js';

/** What Asterisk 22 prints once it has booted (modules loaded, transports bound): the readiness line. */
export const READY_LINE = 'Asterisk Ready.';

/** The dialplan context every lab endpoint's calls start in. */
export const DIALPLAN_CONTEXT = 'sipwright';

/** Parking spaces of the park feature (res_parking's lot "default"). */
export const PARKING_SPACES = { first: 701, last: 720 };

/** Where Asterisk finds things. Defaults are the container's (Debian's layout, with our own config folder). */
export interface AsteriskPaths {
  /** astetcdir: holds only the rendered files. */
  etcDir: string;
  /** '' leaves Asterisk's compiled-in module folder (it names the architecture, e.g. x86_64-linux-gnu). */
  modDir: string;
  varLibDir: string;
  dbDir: string;
  dataDir: string;
  spoolDir: string;
  runDir: string;
  logDir: string;
  cacheDir: string;
  /** The music-on-hold class "default" plays the files here (the tone sipwright writes). */
  mohDir: string;
  /** The tls transport's certificate and key (TLS_FILES names), made per started instance. */
  keysDir: string;
}

export const CONTAINER_PATHS: AsteriskPaths = {
  etcDir: '/etc/sipwright/asterisk',
  modDir: '',
  varLibDir: '/var/lib/asterisk',
  dbDir: '/var/lib/asterisk',
  dataDir: '/usr/share/asterisk',
  spoolDir: '/var/spool/asterisk',
  runDir: '/var/run/asterisk',
  logDir: '/var/log/asterisk',
  cacheDir: '/var/cache/asterisk',
  mohDir: '/var/lib/asterisk/moh/sipwright',
  keysDir: '/etc/sipwright/asterisk/keys',
};

/** The music-on-hold file's name in mohDir (format_pcm plays raw G.711 µ-law from `.ulaw`). */
export const MOH_FILE = 'sipwright-tone.ulaw';

/**
 * Modules loaded (autoload=no), each for a reason. Asterisk orders them by their dependencies itself.
 * chan_pjsip refuses to load without res_pjsip_pubsub (LAB-NOTES).
 */
export const MODULES: ReadonlyArray<[string, string]> = [
  ['res_sorcery_config.so', 'pjsip objects from pjsip.conf'],
  ['res_sorcery_memory.so', 'in-memory sorcery objects'],
  ['res_sorcery_astdb.so', 'registrar bindings (contacts) live in astdb'],
  ['res_timing_timerfd.so', 'timing source for music on hold, Playback and Echo'],
  ['res_pjproject.so', 'pjproject itself'],
  ['res_pjsip.so', 'SIP stack: transports, system timers'],
  ['res_pjsip_session.so', 'INVITE sessions, 100rel (RFC 3262) and session timers (RFC 4028)'],
  ['res_pjsip_pubsub.so', 'needed by chan_pjsip'],
  ['chan_pjsip.so', 'PJSIP channels'],
  ['res_pjsip_authenticator_digest.so', 'digest auth of incoming requests (401)'],
  ['res_pjsip_endpoint_identifier_user.so', 'endpoint from the From user'],
  ['res_pjsip_registrar.so', 'REGISTER'],
  ['res_pjsip_path.so', 'RFC 3327 Path on registrations'],
  ['res_pjsip_nat.so', 'rport and force_rport'],
  ['res_pjsip_sdp_rtp.so', 'SDP offer/answer for RTP audio'],
  ['res_pjsip_refer.so', 'transfer with REFER (RFC 3515), blind and attended (Replaces)'],
  ['res_pjsip_caller_id.so', 'caller id from From/P-Asserted-Identity'],
  ['res_pjsip_rfc3326.so', 'Reason header on hangup'],
  ['res_pjsip_diversion.so', 'Diversion and History-Info on a forwarded call (its 181, the new leg)'],
  ['res_pjsip_dtmf_info.so', 'DTMF in INFO'],
  ['res_pjsip_logger.so', '`pjsip set logger on` for debugging'],
  ['res_rtp_asterisk.so', 'RTP (rtp.conf)'],
  ['res_srtp.so', 'SRTP (libsrtp2) for endpoints with media_encryption = sdes (RFC 4568 keys in SDP)'],
  ['pbx_config.so', 'extensions.conf'],
  ['app_dial.so', 'Dial(): the B2BUA leg to an account'],
  ['app_echo.so', 'Echo()'],
  ['app_playback.so', 'Playback()'],
  ['res_musiconhold.so', 'MusicOnHold() and music to a held party'],
  ['res_parking.so', 'Park()'],
  ['app_directed_pickup.so', 'Pickup(): directed pickup of a ringing phone'],
  ['bridge_simple.so', 'two-party bridges'],
  ['bridge_native_rtp.so', 'RTP bridging inside Asterisk'],
  ['bridge_holding.so', 'holding bridges (parking)'],
  ['bridge_builtin_features.so', 'bridge features (transfer)'],
  ['codec_ulaw.so', 'PCMU'],
  ['codec_alaw.so', 'PCMA'],
  ['codec_a_mu.so', 'PCMA <-> PCMU'],
  ['format_pcm.so', 'raw .ulaw/.alaw files (the music-on-hold tone)'],
  ['format_wav.so', '.wav files'],
];

/** Config files that must exist (empty or nearly) so Asterisk starts without complaints and without the image's samples. */
const QUIET_FILES: Record<string, string> = {
  'cdr.conf': '[general]\nenable=no\n',
  'cel.conf': '[general]\nenable=no\n',
  'ccss.conf': '[general]\n',
  'features.conf': '[general]\n',
  'acl.conf': '',
  'udptl.conf': '[general]\n',
  'pjproject.conf': '[startup]\n',
  'stasis.conf': '',
  'manager.conf': '[general]\nenabled=no\n',
  'http.conf': '[general]\nenabled=no\n',
  'codecs.conf': '',
  'indications.conf': `[general]
country=us

[us]
description=United States / North America
ringcadence=2000,4000
dial=350+440
busy=480+620/500,0/500
ring=440+480/2000,0/4000
congestion=480+620/250,0/250
callwaiting=440/300,0/10000
`,
};

export function parkingSpaces(): string[] {
  return Array.from({ length: PARKING_SPACES.last - PARKING_SPACES.first + 1 }, (_, i) => String(PARKING_SPACES.first + i));
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function check(o: AsteriskOptions): void {
  const seen = new Set<string>(o.features.park ? parkingSpaces() : []);
  const features = Object.entries(o.features).filter(([, v]) => v !== '');
  for (const [name, ext] of features) {
    // The pickup feature is a prefix of * and # (an extension follows it); the others are extensions.
    if (name === 'pickup' ? !/^[*#0-9]+$/.test(ext) : !NAME.test(ext)) {
      throw new Error(name === 'pickup' ? `Asterisk feature pickup: "${ext}" is not a dialling prefix (*, # and digits)` : `Asterisk feature ${name}: "${ext}" is not a plain extension (letters, digits, _ . + -)`);
    }
    if (seen.has(ext)) throw new Error(`Asterisk feature ${name}: extension ${ext} is used twice (or is a parking space)`);
    seen.add(ext);
  }
  for (const a of o.accounts) {
    if (!NAME.test(a.user)) throw new Error(`Asterisk account "${a.user}": a user name must be letters, digits, _ . + - (it is a config section and an extension)`);
    if (seen.has(a.user)) throw new Error(`Asterisk account "${a.user}" clashes with a feature extension, a parking space or another account`);
    seen.add(a.user);
  }
  const { start, end } = o.rtpPorts;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start > 0 && end <= 65535 && end - start >= 1)) {
    throw new Error(`Asterisk RTP ports ${start}-${end}: need a range of at least two ports within 1..65535`);
  }
  if (o.transports.length === 0) throw new Error('Asterisk needs at least one transport');
  if (o.transports.includes('tls') && o.transports.includes('tcp') && o.tlsPort === o.port) {
    throw new Error(`Asterisk TLS port ${o.tlsPort} is the TCP port too: give TLS a port of its own (withTlsPort)`);
  }
  for (const f of Object.keys(o.extraConfig)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(f) || f.startsWith('.')) throw new Error(`withConfig: "${f}" is not a plain file name`);
  }
}

export function renderAsteriskConf(p: AsteriskPaths): string {
  return `; Rendered by sipwright (drivers/asterisk/config.ts). Do not edit: edit the options.
[directories]
astetcdir => ${p.etcDir}
${p.modDir ? `astmoddir => ${p.modDir}\n` : ''}astvarlibdir => ${p.varLibDir}
astdbdir => ${p.dbDir}
astkeydir => ${p.varLibDir}
astdatadir => ${p.dataDir}
astagidir => ${p.dataDir}/agi-bin
astspooldir => ${p.spoolDir}
astrundir => ${p.runDir}
astlogdir => ${p.logDir}
astcachedir => ${p.cacheDir}
astsbindir => /usr/sbin

[options]
debug = 0
hideconnect = yes
documentation_language = en_US
`;
}

export function renderLoggerConf(): string {
  // Everything to the console, which is stdout with -f: the container's log.
  return `[general]
dateformat = %F %T.%3q

[logfiles]
console => notice,warning,error,verbose
`;
}

export function renderModulesConf(): string {
  const width = Math.max(...MODULES.map(([m]) => m.length));
  return `[modules]
autoload = no
${MODULES.map(([m, why]) => `load => ${m.padEnd(width)} ; ${why}`).join('\n')}
`;
}

function ha1(user: string, realm: string, password: string, algorithm: 'md5' | 'sha256'): string {
  return createHash(algorithm).update(`${user}:${realm}:${password}`).digest('hex');
}

/**
 * The pre-computed digests (HA1) pjsip.conf holds for the accounts with auth. Each is as good as the password
 * within the realm, so the driver masks them in logs and CLI output like the passwords themselves.
 */
export function accountDigests(o: AsteriskOptions): string[] {
  return o.accounts.filter((a) => a.auth ?? true).flatMap((a) => [ha1(a.user, o.domain, a.password, 'md5'), ha1(a.user, o.domain, a.password, 'sha256')]);
}

function renderTransport(o: AsteriskOptions, t: AsteriskOptions['transports'][number], p: AsteriskPaths): string {
  const head = `[transport-${t}]\ntype = transport\nprotocol = ${t}\n`;
  if (t !== 'tls') return `${head}bind = ${hostPort(o.address, o.port)}\n`;
  // The certificate file holds the chain (server, then CA). Clients are not asked for a certificate.
  return `${head}bind = ${hostPort(o.address, o.tlsPort)}
cert_file = ${p.keysDir}/${TLS_FILES.cert}
priv_key_file = ${p.keysDir}/${TLS_FILES.key}
verify_client = no
method = sslv23
`;
}

export function renderPjsipConf(o: AsteriskOptions, p: AsteriskPaths = CONTAINER_PATHS): string {
  const timers = { no: 'no', supported: 'yes', always: 'always', forced: 'forced' }[o.sessionTimers.mode];
  const transports = o.transports.map((t) => renderTransport(o, t, p)).join('\n');
  const r = o.registrar;
  const accounts = o.accounts
    .map((a) => {
      const auth = a.auth ?? true;
      // The pre-computed digests (HA1) instead of the password: any character works (a ';' would start a
      // comment in a value), and the file never holds the password itself.
      const authSection = auth
        ? `\n[${a.user}-auth]
type = auth
auth_type = digest
username = ${a.user}
realm = ${o.domain}
password_digest = MD5:${ha1(a.user, o.domain, a.password, 'md5')}
password_digest = SHA-256:${ha1(a.user, o.domain, a.password, 'sha256')}
nonce_lifetime = ${o.nonceLifetimeS}
${a.algorithms ? `supported_algorithms_uas = ${a.algorithms.join(',')}\n` : ''}`
        : '';
      return `[${a.user}](sipwright-endpoint)
aors = ${a.user}
${auth ? `auth = ${a.user}-auth` : '; no auth: requests from this endpoint are never challenged'}
${a.mediaEncryption ? `media_encryption = ${a.mediaEncryption}\n` : ''}
[${a.user}](sipwright-aor)
max_contacts = ${a.maxContacts ?? r.maxContacts}
${a.qualifyFrequency !== undefined ? `qualify_frequency = ${a.qualifyFrequency}\n` : ''}${authSection}`;
    })
    .join('\n');
  return `; Rendered by sipwright (drivers/asterisk/config.ts). Do not edit: edit the options.
; Holds digest hashes of the accounts' passwords: written with mode 0600, never attached to a report.
[global]
type = global
default_realm = ${o.domain}

[system]
type = system
timer_t1 = ${o.timers.t1Ms}
timer_b = ${o.timers.timerBMs}

${transports}
[sipwright-endpoint](!)
type = endpoint
context = ${DIALPLAN_CONTEXT}
disallow = all
allow = ulaw,alaw
direct_media = no
from_domain = ${o.domain}
media_address = ${o.address}
bind_rtp_to_media_address = yes
dtmf_mode = rfc4733
100rel = ${o.rel100}
timers = ${timers}
timers_sess_expires = ${o.sessionTimers.expires ?? 1800}
timers_min_se = ${o.sessionTimers.minSe ?? 90}
moh_suggest = default
allow_transfer = ${o.transfers ? 'yes' : 'no'}

[sipwright-aor](!)
type = aor
minimum_expiration = ${r.minExpires}
maximum_expiration = ${r.maxExpires}
default_expiration = ${r.defaultExpires}
remove_existing = ${r.removeExisting ? 'yes' : 'no'}
qualify_frequency = ${r.qualifyFrequency}
support_path = yes

${accounts}`;
}

export function renderExtensionsConf(o: AsteriskOptions): string {
  const f = o.features;
  const lines: string[] = [];
  for (const a of o.accounts) {
    lines.push(
      `; ${a.user}: Asterisk answers the caller's dialog and places a new one to ${a.user}'s bindings (B2BUA)`,
      `exten => ${a.user},1,Dial(PJSIP/${a.user},30${o.dial.options ? `,${o.dial.options}` : ''})`,
      ...o.dial.after.map((app) => ` same => n,${app}`),
    );
  }
  for (const [number, user] of Object.entries(o.numbers)) {
    lines.push(
      `; ${number} reaches ${user}: the new leg's Request-URI is ${user}'s binding`,
      `exten => ${number},1,Dial(PJSIP/${user},30${o.dial.options ? `,${o.dial.options}` : ''})`,
      ...o.dial.after.map((app) => ` same => n,${app}`),
    );
  }
  if (f.echo) lines.push('; echo: media comes back as sent', `exten => ${f.echo},1,Answer()`, ' same => n,Echo()', ' same => n,Hangup()');
  if (f.answerHangup) lines.push('; answer, wait 1 s, hang up: Asterisk sends the BYE', `exten => ${f.answerHangup},1,Answer()`, ' same => n,Wait(1)', ' same => n,Hangup()');
  if (f.musicOnHold) {
    lines.push(
      '; music on hold: class "default" plays a tone sipwright writes (the image has no MOH or sound files)',
      `exten => ${f.musicOnHold},1,Answer()`,
      ' same => n,MusicOnHold(default)',
      ' same => n,Hangup()',
    );
  }
  if (f.pickup) {
    // Pickup(bob@context) takes the ringing channel that Dial() made from extension bob of this context.
    const pattern = `_${f.pickup.replace(/[^*#0-9]/g, '')}.`;
    // Answered first: Pickup() answering the picker itself failed here ("Unable to answer"), and no pickup followed.
    lines.push(`; ${f.pickup}<extension>: directed pickup of that extension's ringing phone`, `exten => ${pattern},1,Answer()`, ` same => n,Pickup(\${EXTEN:${f.pickup.length}}@${DIALPLAN_CONTEXT})`, ' same => n,Hangup()');
  }
  if (f.park) {
    lines.push(
      `; park the caller in lot "default" (spaces ${PARKING_SPACES.first}-${PARKING_SPACES.last}, no announcement: there are no sound files)`,
      `exten => ${f.park},1,Answer()`,
      ' same => n,Park(default,s)',
      ' same => n,Hangup()',
      'include => sipwright-parked',
    );
  }
  return `; Rendered by sipwright (drivers/asterisk/config.ts). Do not edit: edit the options.
[general]
static = yes
writeprotect = yes

[${DIALPLAN_CONTEXT}]
${lines.join('\n')}

${f.park ? `[sipwright-parked]\n; dialling a parking space retrieves the call parked there\n${parkingSpaces().map((n) => `exten => ${n},1,ParkedCall(default,${n})`).join('\n')}\n\n` : ''}[sipwright-park-timeout]
; a parked call nobody retrieved is hung up
exten => s,1,Hangup()
exten => _[A-Za-z0-9].,1,Hangup()
`;
}

export function renderRtpConf(o: AsteriskOptions): string {
  // RTP and RTCP take even/odd pairs from this range; sockets bind media_address (pjsip.conf).
  return `[general]
rtpstart = ${o.rtpPorts.start}
rtpend = ${o.rtpPorts.end}
icesupport = no
`;
}

export function renderMusicOnHoldConf(p: AsteriskPaths): string {
  return `[general]

[default]
mode = files
directory = ${p.mohDir}
`;
}

export function renderParkingConf(): string {
  return `[general]

[default]
context = parkedcalls
parkpos = ${PARKING_SPACES.first}-${PARKING_SPACES.last}
findslot = first
parkingtime = 45
comebacktoorigin = no
comebackcontext = sipwright-park-timeout
parkedmusicclass = default
`;
}

/** Every config file (name → text), the options' withConfig() text appended (or, for a file not rendered, the whole file). */
export function renderAsteriskConfig(o: AsteriskOptions, paths: AsteriskPaths = CONTAINER_PATHS): Record<string, string> {
  check(o);
  const files: Record<string, string> = {
    ...QUIET_FILES,
    'asterisk.conf': renderAsteriskConf(paths),
    'logger.conf': renderLoggerConf(),
    'modules.conf': renderModulesConf(),
    'pjsip.conf': renderPjsipConf(o, paths),
    'extensions.conf': renderExtensionsConf(o),
    'rtp.conf': renderRtpConf(o),
    'musiconhold.conf': renderMusicOnHoldConf(paths),
    'res_parking.conf': renderParkingConf(),
  };
  for (const [file, text] of Object.entries(o.extraConfig)) {
    const before = files[file];
    files[file] = before === undefined ? text : `${before}${before.endsWith('\n') || before === '' ? '' : '\n'}\n; added with withConfig()\n${text}`;
  }
  for (const [file, text] of Object.entries(files)) if (!text.endsWith('\n') && text !== '') files[file] = `${text}\n`;
  return files;
}

/** Files holding account secrets (digest hashes): written with mode 0600. */
export const SECRET_FILES = new Set(['pjsip.conf']);

/** G.711 µ-law encoding of a 16-bit linear sample. */
function ulaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/**
 * The music-on-hold audio: 2 s of raw µ-law at 8 kHz, a 440 Hz tone for 1 s then 1 s of 880 Hz, so a listener
 * (or an RTP check) can tell it from silence and from an echo.
 */
export function mohTone(): Buffer {
  const rate = 8000;
  const out = Buffer.alloc(2 * rate);
  for (let i = 0; i < out.length; i++) {
    const f = i < rate ? 440 : 880;
    out[i] = ulaw(8000 * Math.sin((2 * Math.PI * f * i) / rate));
  }
  return out;
}
