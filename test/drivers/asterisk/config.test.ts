/**
 * The Asterisk driver without Asterisk: the config files rendered from options, and the parsers of its CLI
 * output (fed with text Asterisk 22.10 printed in this lab).
 */
import { createHash } from 'node:crypto';
import {
  Asterisk,
  mergeRegistrarRecords,
  mohTone,
  parseChannelsConcise,
  parseContacts,
  parseRegistrarDb,
  renderAsteriskConfig,
} from '../../../drivers/asterisk/index.js';

const ALICE = { user: 'alice', password: 'pw;alice "quoted" $dollar' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The lines of one `[name]` section (the first one whose header line matches). */
function section(text: string, header: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) throw new Error(`no section ${header} in:\n${text}`);
  const end = lines.findIndex((l, i) => i > start && /^\[/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l.trim() && !l.startsWith(';'));
}

describe('Asterisk config rendering', () => {
  const files = renderAsteriskConfig(
    new Asterisk('127.0.0.9', 5070)
      .withDomain('lab.test')
      .withAccounts([ALICE, { user: 'bob', password: 'bob-pw', maxContacts: 1, qualifyFrequency: 5 }, { user: 'carol', password: 'carol-pw', auth: false }])
      .withT1(100)
      .withRegistrar({ minExpires: 30, maxExpires: 600, defaultExpires: 120, maxContacts: 3, removeExisting: true })
      .with100rel('required')
      .withSessionTimers({ mode: 'forced', expires: 300, minSe: 120 })
      .withRtpPorts(20000, 20098).options,
  );
  const pjsip = files['pjsip.conf'];

  test('transports bind only the given address and port, and T1/Timer B come from the options', () => {
    expect(section(pjsip, /^\[transport-udp\]/)).toEqual(['type = transport', 'protocol = udp', 'bind = 127.0.0.9:5070']);
    expect(section(pjsip, /^\[transport-tcp\]/)).toEqual(['type = transport', 'protocol = tcp', 'bind = 127.0.0.9:5070']);
    expect(section(pjsip, /^\[system\]/)).toEqual(['type = system', 'timer_t1 = 100', 'timer_b = 6400']);
    expect(section(pjsip, /^\[global\]/)).toContain('default_realm = lab.test');
  });

  test('every endpoint: dialplan context, media on its own address, 100rel and session timers from the options', () => {
    const ep = section(pjsip, /^\[sipwright-endpoint\]\(!\)/);
    expect(ep).toEqual(
      expect.arrayContaining([
        'type = endpoint',
        'context = sipwright',
        'from_domain = lab.test',
        'media_address = 127.0.0.9',
        'bind_rtp_to_media_address = yes',
        'direct_media = no',
        '100rel = required',
        'timers = forced',
        'timers_sess_expires = 300',
        'timers_min_se = 120',
      ]),
    );
    expect(files['rtp.conf']).toMatch(/^rtpstart = 20000$/m);
    expect(files['rtp.conf']).toMatch(/^rtpend = 20098$/m);
  });

  test('registrar options go to every AOR; an account\'s maxContacts and qualifyFrequency override the registrar\'s', () => {
    expect(section(pjsip, /^\[sipwright-aor\]\(!\)/)).toEqual(
      expect.arrayContaining(['minimum_expiration = 30', 'maximum_expiration = 600', 'default_expiration = 120', 'remove_existing = yes', 'qualify_frequency = 0']),
    );
    expect(section(pjsip, /^\[alice\]\(sipwright-aor\)/)).toEqual(['max_contacts = 3']);
    expect(section(pjsip, /^\[bob\]\(sipwright-aor\)/)).toEqual(['max_contacts = 1', 'qualify_frequency = 5']);
  });

  test('auth holds digests of user:realm:password, never the password, whatever characters it has', () => {
    expect(section(pjsip, /^\[alice\]\(sipwright-endpoint\)/)).toEqual(['aors = alice', 'auth = alice-auth']);
    expect(section(pjsip, /^\[alice-auth\]/)).toEqual([
      'type = auth',
      'auth_type = digest',
      'username = alice',
      'realm = lab.test',
      `password_digest = MD5:${md5(`alice:lab.test:${ALICE.password}`)}`,
      `password_digest = SHA-256:${sha256(`alice:lab.test:${ALICE.password}`)}`,
      // Asterisk's own default; the embedded one's is shorter (withNonceLifetime), for the stale-nonce test.
      'nonce_lifetime = 32',
    ]);
    for (const text of Object.values(files)) {
      expect(text).not.toContain('pw;alice');
      expect(text).not.toContain('bob-pw');
    }
  });

  test('an account with auth:false has no auth section and no auth on its endpoint', () => {
    expect(section(pjsip, /^\[carol\]\(sipwright-endpoint\)/)).toEqual(['aors = carol']);
    expect(pjsip).not.toMatch(/^\[carol-auth\]/m);
  });

  test('dialplan: each account is a Dial (B2BUA), and the features sit on their default numbers', () => {
    const ext = files['extensions.conf'];
    const ctx = section(ext, /^\[sipwright\]$/).map((l) => l.trim());
    expect(ctx).toEqual(
      expect.arrayContaining([
        'exten => alice,1,Dial(PJSIP/alice,30)',
        'exten => bob,1,Dial(PJSIP/bob,30)',
        'exten => 600,1,Answer()',
        'same => n,Echo()',
        'exten => 601,1,Answer()',
        'same => n,Wait(1)',
        'exten => 602,1,Answer()',
        'same => n,MusicOnHold(default)',
        'exten => 700,1,Answer()',
        'same => n,Park(default,s)',
        'include => sipwright-parked',
      ]),
    );
    expect(section(ext, /^\[sipwright-parked\]$/)).toContain('exten => 701,1,ParkedCall(default,701)');
    expect(files['res_parking.conf']).toMatch(/^parkpos = 701-720$/m);
    expect(files['musiconhold.conf']).toMatch(/^directory = \/var\/lib\/asterisk\/moh\/sipwright$/m);
  });

  test('withDial changes how accounts are dialled: options, and what runs after the Dial', () => {
    const ext = renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts([{ user: 'bob', password: 'x' }]).withDial({ options: 'g', after: ['Wait(30)', 'Hangup()'] }).options)['extensions.conf'];
    expect(ext).toMatch(/^exten => bob,1,Dial\(PJSIP\/bob,30,g\)\n same => n,Wait\(30\)\n same => n,Hangup\(\)$/m);
  });

  test('features move with withFeatures, and an empty number leaves one out', () => {
    const ext = renderAsteriskConfig(new Asterisk('127.0.0.9').withFeatures({ echo: '9196', park: '' }).options)['extensions.conf'];
    expect(ext).toContain('exten => 9196,1,Answer()');
    expect(ext).not.toContain('exten => 600,');
    expect(ext).not.toContain('Park(');
    expect(ext).not.toContain('sipwright-parked');
  });

  test('modules: autoload off, chan_pjsip with res_pjsip_pubsub, and what the features need', () => {
    const mods = files['modules.conf'];
    expect(mods).toMatch(/^autoload = no$/m);
    const loaded = [...mods.matchAll(/^load => (\S+)/gm)].map((m) => m[1]);
    expect(loaded).toEqual(
      expect.arrayContaining([
        'chan_pjsip.so',
        'res_pjsip_pubsub.so',
        'res_pjsip_registrar.so',
        'res_pjsip_authenticator_digest.so',
        'res_pjsip_session.so',
        'res_pjsip_refer.so',
        'res_rtp_asterisk.so',
        'pbx_config.so',
        'app_dial.so',
        'app_echo.so',
        'res_musiconhold.so',
        'res_parking.so',
        'codec_ulaw.so',
        'codec_alaw.so',
        'format_pcm.so',
      ]),
    );
    expect(new Set(loaded).size).toBe(loaded.length);
  });

  test('output goes to the console (stdout), and asterisk.conf points at the rendered folder', () => {
    expect(files['logger.conf']).toMatch(/^console => notice,warning,error,verbose$/m);
    expect(files['asterisk.conf']).toMatch(/^astetcdir => \/etc\/sipwright\/asterisk$/m);
  });

  test('withConfig appends to a rendered file and creates one that is not rendered; calls add up', () => {
    const o = new Asterisk('127.0.0.9')
      .withConfig('pjsip.conf', '[broken]\ntype=endpoint\n')
      .withConfig('pjsip.conf', 'context=nowhere')
      .withConfig('extra.conf', '[x]\ny=1\n').options;
    const out = renderAsteriskConfig(o);
    expect(out['pjsip.conf']).toMatch(/\[sipwright-aor\]\(!\)[\s\S]*; added with withConfig\(\)\n\[broken\]\ntype=endpoint\ncontext=nowhere\n$/);
    expect(out['extra.conf']).toBe('[x]\ny=1\n');
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withConfig('../etc/passwd', 'x').options)).toThrow(/not a plain file name/);
  });

  test('names that would break the config or the dialplan are refused', () => {
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts([{ user: 'a b]', password: 'x' }]).options)).toThrow(/user name/);
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts([{ user: '600', password: 'x' }]).options)).toThrow(/clashes/);
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts([{ user: '705', password: 'x' }]).options)).toThrow(/parking space/);
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withFeatures({ echo: '601' }).options)).toThrow(/used twice/);
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withRtpPorts(5000, 5000).options)).toThrow(/RTP ports/);
  });

  test('tls: a transport of its own on the TLS port (default port + 1), with the instance\'s certificate chain and key', () => {
    const tls = renderAsteriskConfig(new Asterisk('127.0.0.9', 5070).withTransports('udp', 'tcp', 'tls').options)['pjsip.conf'];
    expect(section(tls, /^\[transport-tls\]/)).toEqual([
      'type = transport',
      'protocol = tls',
      'bind = 127.0.0.9:5071',
      'cert_file = /etc/sipwright/asterisk/keys/server.pem',
      'priv_key_file = /etc/sipwright/asterisk/keys/server.key',
      'verify_client = no',
      'method = sslv23',
    ]);
    expect(section(tls, /^\[transport-tcp\]/)).toContain('bind = 127.0.0.9:5070');
    expect(section(renderAsteriskConfig(new Asterisk('127.0.0.9').withTransports('tls').withTlsPort(5081).options)['pjsip.conf'], /^\[transport-tls\]/)).toContain('bind = 127.0.0.9:5081');
    // TLS and TCP are both TCP listeners: one port can't hold both.
    expect(() => renderAsteriskConfig(new Asterisk('127.0.0.9').withTransports('tcp', 'tls').withTlsPort(5060).options)).toThrow(/TLS port 5060 is the TCP port too/);
    expect(pjsip).not.toMatch(/transport-tls/);
  });

  test('IPv6: the transport binds a bracketed address', () => {
    expect(renderAsteriskConfig(new Asterisk('::1', 5062).withTransports('udp').options)['pjsip.conf']).toMatch(/^bind = \[::1\]:5062$/m);
  });

  test('the music-on-hold tone is 2 s of µ-law that is not silence', () => {
    const tone = mohTone();
    expect(tone.length).toBe(16000);
    // µ-law silence is 0xFF/0x7F; a tone spreads over many code words.
    expect(new Set(tone).size).toBeGreaterThan(50);
  });
});

describe('Asterisk CLI output parsers (text printed by Asterisk 22.10)', () => {
  const CONTACTS = `
  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>
==========================================================================================

  Contact:  alice/sip:alice@127.100.1.11:5060              14295fde84 NonQual        -nan
  Contact:  dave/sip:dave@127.100.1.11:5060;transport=tcp  e9f9b2ddf1 Avail         1.234

Objects found: 2
`;
  const DB = `/registrar/contact/alice;@14295fde845ed65fb430688476c47187: {"via_addr":"127.100.1.11","call_id":"sipwright-4feafcd84b96-1@127.100.1.11","path":"","endpoint":"alice","uri":"sip:alice@127.100.1.11:5060","user_agent":"sipwright (SIPp)","expiration_time":"1795479116"}
1 results found.
`;
  const CHANNELS = `PJSIP/alice-00000000!sipwright!bob!1!Up!Dial!PJSIP/bob,30!alice!!!3!0!b3cd4bf4-1c8a-409e-8c89-de22587ede2d!1795478840.0
PJSIP/bob-00000001!sipwright!!1!Up!AppDial!(Outgoing Line)!bob!!!3!0!b3cd4bf4-1c8a-409e-8c89-de22587ede2d!1795478840.1
`;

  test('pjsip show contacts: aor, uri, status, rtt; the header line is not a contact', () => {
    expect(parseContacts(CONTACTS)).toEqual([
      { aor: 'alice', uri: 'sip:alice@127.100.1.11:5060', id: 'alice/sip:alice@127.100.1.11:5060', status: 'NonQual' },
      { aor: 'dave', uri: 'sip:dave@127.100.1.11:5060;transport=tcp', id: 'dave/sip:dave@127.100.1.11:5060;transport=tcp', status: 'Avail', rttMs: 1.234 },
    ]);
  });

  test('the registrar\'s astdb records give expiry (seconds left), Call-ID and User-Agent', () => {
    const records = parseRegistrarDb(DB);
    expect(records).toEqual([{ aor: 'alice', uri: 'sip:alice@127.100.1.11:5060', expirationTime: 1795479116, callId: 'sipwright-4feafcd84b96-1@127.100.1.11', userAgent: 'sipwright (SIPp)' }]);
    const merged = mergeRegistrarRecords(parseContacts(CONTACTS), records, 1795479116_000 - 299_400);
    expect(merged[0]).toMatchObject({ aor: 'alice', expiresIn: 299, callId: 'sipwright-4feafcd84b96-1@127.100.1.11' });
    expect(merged[1].expiresIn).toBeUndefined();
  });

  test('a URI cut at the column width (pjsip show contacts) takes its whole value from the registrar\'s record', () => {
    const shown = '  Contact:  alice/sip:alice@127.100.251.11:5062;transport= 654df75145 NonQual        -nan\n';
    const db = '/registrar/contact/alice;@654df75145aa: {"uri":"sip:alice@127.100.251.11:5062;transport=TLS","expiration_time":"1795485668","call_id":"c1"}\n';
    const [c] = mergeRegistrarRecords(parseContacts(shown), parseRegistrarDb(db), 1795485368_000);
    expect(c).toMatchObject({ uri: 'sip:alice@127.100.251.11:5062;transport=TLS', id: 'alice/sip:alice@127.100.251.11:5062;transport=TLS', expiresIn: 300, callId: 'c1' });
    // Two records starting the same way: which one was shown can't be told, so the cut URI stays as shown.
    const two = db + db.replace('transport=TLS', 'transport=TLS;x=1').replace('c1', 'c2');
    expect(mergeRegistrarRecords(parseContacts(shown), parseRegistrarDb(two))[0].uri).toBe('sip:alice@127.100.251.11:5062;transport=');
  });

  test('core show channels concise: the two legs of a B2BUA call share a bridge', () => {
    const [a, b] = parseChannelsConcise(CHANNELS);
    expect(a).toMatchObject({ name: 'PJSIP/alice-00000000', endpoint: 'alice', exten: 'bob', state: 'Up', application: 'Dial', data: 'PJSIP/bob,30', callerId: 'alice' });
    expect(b).toMatchObject({ name: 'PJSIP/bob-00000001', endpoint: 'bob', exten: '', application: 'AppDial', data: '(Outgoing Line)', uniqueId: '1795478840.1' });
    expect(a.bridgeId).toBe('b3cd4bf4-1c8a-409e-8c89-de22587ede2d');
    expect(b.bridgeId).toBe(a.bridgeId);
  });

  test('application data holding "!" stays whole', () => {
    const [c] = parseChannelsConcise('PJSIP/alice-0000000a!sipwright!600!2!Up!NoOp!a!b!c!alice!!!3!7!!1795478842.2\n');
    expect(c).toMatchObject({ application: 'NoOp', data: 'a!b!c', callerId: 'alice', durationSeconds: 7, bridgeId: '', uniqueId: '1795478842.2' });
    expect(parseChannelsConcise('')).toEqual([]);
  });
});

describe('Asterisk SRTP (media_encryption = sdes, RFC 4568)', () => {
  const accounts = [ALICE, { user: 'sdes', password: 'sdes-pw' }];

  test('an account whose calls must be SRTP gets media_encryption = sdes on its endpoint alone, and res_srtp is loaded', () => {
    const files = renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts(accounts).withSdesRequired('sdes').options);
    const endpoint = (user: string) => section(files['pjsip.conf'], new RegExp(`^\\[${user}\\]\\(sipwright-endpoint\\)$`));
    expect(endpoint('sdes')).toContain('media_encryption = sdes');
    expect(endpoint('alice').some((l) => l.startsWith('media_encryption'))).toBe(false);
    // The template every endpoint inherits stays plain RTP.
    expect(section(files['pjsip.conf'], /^\[sipwright-endpoint\]\(!\)$/).some((l) => l.startsWith('media_encryption'))).toBe(false);
    expect(files['modules.conf']).toMatch(/^load => res_srtp\.so /m);
  });

  test('without it no endpoint has media_encryption (the negative control\'s Asterisk), and an unknown account is refused', () => {
    expect(renderAsteriskConfig(new Asterisk('127.0.0.9').withAccounts(accounts).options)['pjsip.conf']).not.toContain('media_encryption');
    expect(() => new Asterisk('127.0.0.9').withAccounts(accounts).withSdesRequired('bob')).toThrow(/withSdesRequired: "bob" is not one of the accounts \(alice, sdes\)/);
    expect(() => new Asterisk('127.0.0.9').withSdesRequired('sdes')).toThrow(/none yet: call withAccounts first/);
  });
});
