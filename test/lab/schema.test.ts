import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEnv } from '../../src/lab/run-env.js';
import { ConfigError, loadLabConfig, loadTargetFile, resolveTarget, secretsOf, selectTargets } from '../../src/lab/target.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sipwright-schema-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The ConfigError a target file with this text gives, or 'no error'. */
function problem(name: string, text: string): string {
  try {
    loadTargetFile(file(name, text));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('target file', () => {
  test('the minimal file from the issue loads, with defaults filled in', () => {
    const t = loadTargetFile(file('min.yaml', 'name: my-registrar\naddress: 127.0.0.50:5060\ntransport: udp\nroles: [registrar, proxy]\ndomain: example.test\naccounts:\n  - { user: alice, password: alice-secret }\n  - { user: bob, password: bob-secret }\n'));
    expect(t).toMatchObject({ name: 'my-registrar', kind: 'external', host: '127.0.0.50', port: 5060, transport: 'udp', domain: 'example.test', roles: ['registrar', 'proxy'], t1Ms: 500 });
    expect(secretsOf(t)).toEqual(['alice-secret', 'bob-secret']);
  });

  test('the port defaults to 5060, the domain to the host (an IPv6 one bracketed, as in a URI), and JSON works too', () => {
    const t = loadTargetFile(file('t.json', JSON.stringify({ name: 'x', address: '[::1]', roles: ['proxy'] })));
    expect(t).toMatchObject({ host: '::1', port: 5060, domain: '[::1]', accounts: [] });
  });

  test('an IPv6 address: bracketed with a port, or bare (port 5060), in the form the capture writes it', () => {
    const at = (address: string) => loadTargetFile(file('v6.yaml', `name: v6\naddress: ${address}\nroles: [proxy]\n`));
    expect(at('"[2001:2::2]:5070"')).toMatchObject({ host: '2001:2::2', port: 5070, domain: '[2001:2::2]' });
    expect(at('2001:2:0:231::2')).toMatchObject({ host: '2001:2:0:231::2', port: 5060 });
    // A bare literal is the whole address: its last group is never taken for a port.
    expect(at('2001:2::2:5060')).toMatchObject({ host: '2001:2::2:5060', port: 5060 });
    // RFC 5952: lower case, no leading zeros, the longest run of zero groups as "::".
    expect(at('"[2001:0002:0000:00E8:0000:0000:0000:0002]:5060"')).toMatchObject({ host: '2001:2:0:e8::2' });
    expect(loadTargetFile(file('v6local.yaml', 'name: v6\naddress: 2001:2::2\nroles: [proxy]\nlocal: { address: "2001:2:0:0::1" }\n')).local).toEqual({ address: '2001:2::1' });
    expect(loadTargetFile(file('v6peer.yaml', 'name: v6\naddress: 2001:2::2\nroles: [proxy]\nproxy: { peer: { domain: other.test, address: "[2001:2::3]:5062" } }\n')).proxy?.peer).toEqual({ domain: 'other.test', host: '2001:2::3', port: 5062 });
  });

  test('a bracketed address that is not IPv6, and an IPv6 one YAML took for a list, are errors that say what to write', () => {
    expect(() => loadTargetFile(file('v4br.yaml', 'name: v\naddress: "[127.0.0.1]:5060"\nroles: [proxy]\n'))).toThrow(/address: "\[127\.0\.0\.1\]" is not an IPv6 address/);
    expect(() => loadTargetFile(file('v6bad.yaml', 'name: v\naddress: "[2001:2::2]:99999"\nroles: [proxy]\n'))).toThrow(/address: port 99999 is outside 1\.\.65535/);
    // Unquoted, [2001:2::2] is a YAML list, and [2001:2::2]:5060 no YAML at all.
    expect(() => loadTargetFile(file('v6list.yaml', 'name: v\naddress: [2001:2::2]\nroles: [proxy]\n'))).toThrow(/address: got a list: an IPv6 address in brackets is quoted in YAML/);
    expect(() => loadTargetFile(file('v6port.yaml', 'name: v\naddress: [2001:2::2]:5060\nroles: [proxy]\n'))).toThrow(/line 2, column \d+: .*\(an IPv6 address with a port is quoted in YAML: address: "\[2001:db8::2\]:5060"\)/);
  });

  test('every problem is listed with the field it is in', () => {
    const bad = file('bad.yaml', 'name: ""\naddress: "host name:70000"\ntransport: sctp\nroles: []\naccounts: [{ user: "a b", password: "" }]\nregistrar: { minExpires: -1 }\ncolour: blue\n');
    let message = '';
    try {
      loadTargetFile(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain(`target file ${bad}:`);
    for (const field of ['name:', 'address:', 'transport:', 'roles:', 'accounts[0].user:', 'accounts[0].password:', 'registrar.minExpires:']) {
      expect(message).toContain(`  ${field}`);
    }
    expect(message).toContain('unknown field "colour"');
  });

  test('a proxy may declare the other domain it routes (proxy.peer), checked like the rest', () => {
    const t = loadTargetFile(file('peer.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nproxy: { peer: { domain: other.test, address: 127.0.0.51:5062 } }\n'));
    expect(t.proxy).toEqual({ peer: { domain: 'other.test', host: '127.0.0.51', port: 5062 } });
    expect(loadTargetFile(file('nopeer.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\n')).proxy).toBeUndefined();
    let message = '';
    try {
      loadTargetFile(file('badpeer.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nproxy: { peer: { domain: "", address: "a b" }, hops: 2 }\n'));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('  proxy.peer.domain: must not be empty');
    expect(message).toContain('  proxy.peer.address: expected host:port');
    expect(message).toContain('  proxy: unknown field "hops"');
  });

  test('a proxy may declare that it forks sequentially on request (proxy.sequentialForking), a boolean', () => {
    expect(loadTargetFile(file('seq.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nproxy: { sequentialForking: true }\n')).proxy).toEqual({ sequentialForking: true });
    expect(() => loadTargetFile(file('badseq.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nproxy: { sequentialForking: "by q" }\n'))).toThrow(/proxy\.sequentialForking: /);
  });

  test('a PBX may declare after how many T1 it first retransmits a reliable provisional (pbx.reliableRetransmitFromT1); embedded:asterisk declares 2', () => {
    expect(loadTargetFile(file('rel.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\npbx: { reliableRetransmitFromT1: 2 }\n')).pbx).toEqual({ reliableRetransmitFromT1: 2 });
    expect(loadTargetFile(file('norel.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\n')).pbx).toBeUndefined();
    expect(() => loadTargetFile(file('badrel.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\npbx: { reliableRetransmitFromT1: 0.5 }\n'))).toThrow(/pbx\.reliableRetransmitFromT1: /);
    expect(resolveTarget('embedded:asterisk', loadLabConfig()).pbx).toEqual({ reliableRetransmitFromT1: 2, followsRedirect: true });
    // pbx.followsRedirect: it follows a callee's 3xx itself (the call-forwarding test), a boolean.
    expect(loadTargetFile(file('fwd.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\npbx: { followsRedirect: true }\n')).pbx).toEqual({ followsRedirect: true });
    expect(() => loadTargetFile(file('badfwd.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\npbx: { followsRedirect: sometimes }\n'))).toThrow(/pbx\.followsRedirect: /);
    expect(resolveTarget('embedded:kamailio', loadLabConfig()).pbx).toBeUndefined();
  });

  test('a PBX doing RFC 4028 itself declares sessionTimers with its Min-SE (90 s by default, never below); embedded:asterisk declares 90', () => {
    expect(loadTargetFile(file('st.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\nsessionTimers: { minSE: 120 }\n')).sessionTimers).toEqual({ minSE: 120 });
    expect(loadTargetFile(file('stdef.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\nsessionTimers: {}\n')).sessionTimers).toEqual({ minSE: 90 });
    expect(loadTargetFile(file('nost.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\n')).sessionTimers).toBeUndefined();
    expect(() => loadTargetFile(file('badst.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\nsessionTimers: { minSE: 60 }\n'))).toThrow(/sessionTimers\.minSE: RFC 4028 §5: at least 90 seconds/);
    expect(resolveTarget('embedded:asterisk', loadLabConfig()).sessionTimers).toEqual({ minSE: 90 });
    expect(resolveTarget('embedded:kamailio', loadLabConfig()).sessionTimers).toBeUndefined();
  });

  test('a target declares how it authenticates (auth: challenges, algorithms, nonceLifetime), checked field by field; the embedded ones declare theirs', () => {
    const t = loadTargetFile(file('auth.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nauth: { challenges: [INVITE, MESSAGE], algorithms: [SHA-256, MD5], nonceLifetime: 30 }\naccounts: [{ user: a, password: b, algorithms: [MD5] }]\n'));
    expect(t.auth).toEqual({ challenges: ['INVITE', 'MESSAGE'], algorithms: ['SHA-256', 'MD5'], nonceLifetime: 30 });
    expect(t.accounts[0].algorithms).toEqual(['MD5']);
    const bad = () => loadTargetFile(file('badauth.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nauth: { challenges: [OPTIONS], algorithms: [SHA-1, MD5, MD5], nonceLifetime: 0, stale: yes }\n'));
    expect(bad).toThrow(/auth\.challenges\[0\]: /);
    expect(bad).toThrow(/auth\.algorithms\[0\]: /);
    expect(bad).toThrow(/auth\.nonceLifetime: must be 1 or more/);
    expect(bad).toThrow(/auth: unknown field "stale"/);
    expect(() => loadTargetFile(file('dupalg.yaml', 'name: p\naddress: 127.0.0.50\nroles: [proxy]\nauth: { algorithms: [MD5, MD5] }\n'))).toThrow(/auth\.algorithms: lists an algorithm twice/);
    const kamailio = resolveTarget('embedded:kamailio', loadLabConfig());
    expect(kamailio.auth).toEqual({ challenges: ['REGISTER'], nonceLifetime: 4 });
    expect(resolveTarget('embedded:kamailio', loadLabConfig(file('pa.yaml', 'proxyAuth: true\n'))).auth?.challenges).toEqual(['REGISTER', 'INVITE', 'MESSAGE', 'SUBSCRIBE', 'REFER', 'PUBLISH']);
    expect(resolveTarget('embedded:kamailio', loadLabConfig(file('pa.yaml', 'proxyAuth: true\n'))).auth?.inDialog).toBeUndefined();
    expect(resolveTarget('embedded:kamailio', loadLabConfig(file('pad.yaml', 'proxyAuth: in-dialog\n'))).auth?.inDialog).toEqual(['INVITE', 'BYE']);
    expect(() => loadLabConfig(file('pabad.yaml', 'proxyAuth: always\n'))).toThrow(/proxyAuth: must be true, false or in-dialog/);
    const asterisk = resolveTarget('embedded:asterisk', loadLabConfig());
    expect(asterisk.auth?.challenges).toEqual(['REGISTER', 'INVITE', 'MESSAGE']);
    // Its SHA-256 account stands beside the lab's, whose passwords stay secrets like its own.
    expect(asterisk.accounts.find((a) => a.algorithms)).toMatchObject({ user: 'dave', algorithms: ['SHA-256', 'MD5'] });
    expect(secretsOf(asterisk)).toContain('dave-lab-secret');
  });

  test('a target over TLS names the CA it is checked with (tls.ca, relative to the file) and may name its certificate\'s name', () => {
    file('ca.pem', 'not checked here: the parties read it');
    const t = loadTargetFile(file('tls.yaml', 'name: p\naddress: 127.0.0.50:5061\ntransport: tls\nroles: [proxy]\ntls: { ca: ca.pem, serverName: sip.example.test }\n'));
    expect(t.tls).toEqual({ ca: join(dir, 'ca.pem'), serverName: 'sip.example.test' });
    expect(() => loadTargetFile(file('noca.yaml', 'name: p\naddress: 127.0.0.50:5061\ntransport: tls\nroles: [proxy]\n'))).toThrow(/tls: transport tls needs tls: \{ ca: FILE \}/);
    expect(() => loadTargetFile(file('goneca.yaml', 'name: p\naddress: 127.0.0.50:5061\ntransport: tls\nroles: [proxy]\ntls: { ca: gone.pem }\n'))).toThrow(/tls\.ca: .*gone\.pem does not exist/);
    expect(() => loadTargetFile(file('badtls.yaml', 'name: p\naddress: 127.0.0.50:5061\ntransport: tls\nroles: [proxy]\ntls: { ca: ca.pem, verify: no }\n'))).toThrow(/tls: unknown field "verify"/);
  });

  test('YAML syntax errors give the line, and a missing file says so', () => {
    expect(() => loadTargetFile(file('syntax.yaml', 'name: x\n  address: [\n'))).toThrow(/line \d+, column \d+/);
    expect(() => loadTargetFile(join(dir, 'nope.yaml'))).toThrow(/target file .*nope\.yaml does not exist/);
  });
});

describe('embedded targets and lab config', () => {
  test('embedded:kamailio is a registrar and proxy with the lab accounts and its declared minimum expiry', () => {
    const t = resolveTarget(undefined, loadLabConfig());
    expect(t).toMatchObject({ name: 'embedded:kamailio', kind: 'embedded', roles: ['registrar', 'proxy'], registrar: { minExpires: 60 }, t1Ms: 100 });
    expect(t.accounts.map((a) => a.user)).toEqual(['alice', 'bob', 'carol']);
    // Its other domain's proxy gets an address only when the lab starts (the lab runs it beside the target).
    expect(t.proxy).toEqual({ peer: { domain: 'peer.sipwright.test', port: 5060, prefix: '+4940' }, sequentialForking: true });
  });

  test('an unknown embedded name lists the known ones', () => {
    expect(() => resolveTarget('embedded:opensips', loadLabConfig())).toThrow(/unknown embedded target "embedded:opensips"; known: embedded:kamailio/);
  });

  test('lab config overrides are checked too', () => {
    expect(loadLabConfig(file('lab.yaml', 't1: 200\ndomain: lab.test\n'))).toMatchObject({ t1: 200, domain: 'lab.test' });
    expect(() => loadLabConfig(file('lab-bad.yaml', 't1: 5\naccounts: [{ user: a, password: b }]\n'))).toThrow(/t1: .*\n.*accounts: the suites need at least two accounts/s);
  });
});

describe('the targets of a run', () => {
  const lab = loadLabConfig();
  test('none named: every embedded target, each with its own roles and features', () => {
    const sel = selectTargets([], lab);
    expect(sel.mode).toBe('every');
    expect(sel.plans.map((p) => [p.name, p.roles])).toEqual([
      ['embedded:kamailio', ['registrar', 'proxy']],
      ['embedded:asterisk', ['registrar', 'pbx']],
    ]);
    expect(sel.plans[1].features).toMatchObject({ echo: '600', answerHangup: '601' });
  });

  test('named ones are taken as they are, embedded or files; an unknown embedded name says which exist', () => {
    const f = file('pbx.yaml', 'name: my-pbx\naddress: 127.0.0.60\nroles: [registrar, pbx]\n');
    const sel = selectTargets(['embedded:asterisk', f], lab);
    expect(sel).toMatchObject({ mode: 'named', plans: [{ name: 'embedded:asterisk', kind: 'embedded' }, { name: 'my-pbx', kind: 'external' }] });
    expect(() => selectTargets(['embedded:freeswitch'], lab)).toThrow(/unknown embedded target "embedded:freeswitch"; known: embedded:kamailio, embedded:asterisk/);
  });

  test('the workers learn them from SIPWRIGHT_TARGETS (a JSON list), or SIPWRIGHT_TARGET for one', () => {
    expect(runEnv({ SIPWRIGHT_TARGETS: '["embedded:asterisk","/x/pbx.yaml"]' }).targets).toEqual(['embedded:asterisk', '/x/pbx.yaml']);
    expect(runEnv({ SIPWRIGHT_TARGETS: '[]', SIPWRIGHT_TARGET: 'ignored' }).targets).toEqual([]);
    expect(runEnv({ SIPWRIGHT_TARGET: 'embedded:kamailio' }).targets).toEqual(['embedded:kamailio']);
    expect(runEnv({}).targets).toEqual([]);
    expect(() => runEnv({ SIPWRIGHT_TARGETS: '{"a":1}' })).toThrow(/JSON array of strings/);
  });

  test('the lab config says where each node runs, auto by default', () => {
    expect(lab.runtime).toEqual({ kamailio: 'auto', asterisk: 'auto', sipp: 'auto' });
    const f = file('lab.yaml', 'runtime: { asterisk: container, kamailio: native, sipp: container }\n');
    expect(loadLabConfig(f).runtime).toEqual({ kamailio: 'native', asterisk: 'container', sipp: 'container' });
    expect(() => loadLabConfig(file('lab3.yaml', 'runtime: { sipp: docker }\n'))).toThrow(/runtime\.sipp/);
    expect(() => loadLabConfig(file('lab2.yaml', 'runtime: { asterisk: vm }\n'))).toThrow(/runtime\.asterisk/);
  });
});

describe('SRTP declaration (srtp: RFC 4568 SDES)', () => {
  const pbx = (srtp: string, accounts = '[{ user: alice, password: a-secret }, { user: sdes, password: s-secret }]') =>
    `name: p\naddress: 127.0.0.50\nroles: [pbx]\naccounts: ${accounts}\nsrtp: ${srtp}\n`;

  test('a target declares that it answers SDES offers, and the account whose calls must be SRTP', () => {
    expect(loadTargetFile(file('srtp.yaml', pbx('{ sdes: true, requiredBy: sdes }'))).srtp).toEqual({ sdes: true, requiredBy: 'sdes' });
    expect(loadTargetFile(file('srtp-any.yaml', pbx('{ sdes: true }'))).srtp).toEqual({ sdes: true });
    expect(loadTargetFile(file('srtp-none.yaml', 'name: p\naddress: 127.0.0.50\nroles: [pbx]\n')).srtp).toBeUndefined();
  });

  test('errors name the field: sdes missing or not a boolean, an unknown key, requiredBy without sdes or naming no account', () => {
    expect(problem('s1.yaml', pbx('{ requiredBy: sdes }'))).toMatch(/^ {2}srtp\.sdes: /m);
    expect(problem('s2.yaml', pbx('{ sdes: yes please }'))).toMatch(/^ {2}srtp\.sdes: /m);
    expect(problem('s3.yaml', pbx('{ sdes: true, dtls: true }'))).toContain('  srtp: unknown field "dtls"');
    expect(problem('s4.yaml', pbx('{ sdes: false, requiredBy: sdes }'))).toContain('  srtp.requiredBy: an account whose calls must be SRTP needs sdes: true');
    expect(problem('s5.yaml', pbx('{ sdes: true, requiredBy: bob }'))).toContain('  srtp.requiredBy: "bob" is not one of the accounts (alice, sdes): the test calls from it');
    expect(problem('s6.yaml', pbx('{ sdes: true, requiredBy: "a b" }'))).toMatch(/^ {2}srtp\.requiredBy: must be a SIP user part/m);
  });

  test('embedded:asterisk requires SRTP of an account of its own, beside the lab\'s; embedded:kamailio, a proxy, declares nothing', () => {
    const lab = loadLabConfig();
    const a = resolveTarget('embedded:asterisk', lab);
    expect(a.srtp).toEqual({ sdes: true, requiredBy: 'srtp-only' });
    const own = a.accounts.find((x) => x.user === 'srtp-only');
    expect(own?.password).toBeTruthy();
    // The lab's accounts are all still there, unchanged, and the new one's password is a secret like theirs.
    for (const x of lab.accounts) expect(a.accounts).toContainEqual(x);
    expect(secretsOf(a)).toContain(own!.password);
    const k = resolveTarget('embedded:kamailio', lab);
    expect(k.srtp).toBeUndefined();
    expect(k.accounts.some((x) => x.user === 'srtp-only')).toBe(false);
  });
});

describe('dial plan declaration (numbers: the routing suite)', () => {
  const proxy = (numbers: string) => `name: p\naddress: 127.0.0.50\nroles: [registrar, proxy]\naccounts: [{ user: alice, password: a-secret }, { user: bob, password: b-secret }]\nnumbers: ${numbers}\n`;

  test('each dialled form names the account it reaches; the embedded targets have a plan of their own', () => {
    expect(loadTargetFile(file('n1.yaml', proxy('{ "100": alice, "+4930100": alice, "004930100": alice }'))).numbers).toEqual({ '100': 'alice', '+4930100': 'alice', '004930100': 'alice' });
    const kamailio = resolveTarget('embedded:kamailio', loadLabConfig());
    expect(kamailio.numbers).toEqual({ '100': 'alice', '+4930100': 'alice', '004930100': 'alice', '101': 'bob', '+4930101': 'bob', '004930101': 'bob' });
    expect(resolveTarget('embedded:asterisk', loadLabConfig()).numbers).toEqual(kamailio.numbers);
  });

  test('errors name the number: not digits, or reaching no account', () => {
    expect(problem('n2.yaml', proxy('{ "10-0": alice }'))).toContain('  numbers.10-0: a number is digits, with a leading + for the international form');
    expect(problem('n3.yaml', proxy('{ "100": carol }'))).toContain('  numbers.100: "carol" is not one of the accounts (alice, bob): the test registers it and calls the number');
  });
});
