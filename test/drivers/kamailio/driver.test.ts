/** The Kamailio driver on a real Kamailio: rendered config, readiness, the location table, overrides, stop. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyRouteOverrides, Kamailio, renderKamailioConfig, type StartedKamailio } from '../../../drivers/kamailio/index.js';
import { Sipp } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { which } from '../../../src/runtime/native.js';
import { isAlive } from '../../../src/runtime/process-registry.js';
import { compileRegistration } from '../../../src/ua/register.js';
import { compileMessage } from '../../../src/ua/requests.js';
import { readFileSync } from 'node:fs';

const canRun = ['kamailio', 'kamcmd', 'sipp'].every((c) => which(c));
const d = canRun ? describe : describe.skip;
const ACCOUNTS = [{ user: 'alice', password: 'pw-alice "quoted" $dollar' }];

describe('Kamailio config rendering', () => {
  const o = new Kamailio('127.0.0.9').withDomain('lab.test').withAccounts(ACCOUNTS).withT1(100).withRegistrar({ minExpires: 30, maxContacts: 3 }).options;
  const cfg = renderKamailioConfig(o, { ctlSocket: '/tmp/x/ctl' });

  test('timers, registrar limits and listen addresses come from the options', () => {
    expect(cfg).toMatch(/modparam\("tm", "retr_timer1", 100\)/);
    expect(cfg).toMatch(/modparam\("tm", "retr_timer2", 800\)/);
    expect(cfg).toMatch(/modparam\("tm", "fr_timer", 6400\)/);
    expect(cfg).toMatch(/modparam\("registrar", "min_expires", 30\)/);
    expect(cfg).toMatch(/modparam\("registrar", "max_contacts", 3\)/);
    expect(cfg).toMatch(/listen=udp:127\.0\.0\.9:5060\nlisten=tcp:127\.0\.0\.9:5060/);
  });

  test('a peer domain is relayed to its proxy, over TCP where the peer is declared so; an IPv6 listen is bracketed', () => {
    const peers = new Kamailio('127.0.0.9').withPeer('a.test', '192.0.2.7', 5070).withPeer('b.test', '192.0.2.8', 5060, 'tcp').options;
    const routed = renderKamailioConfig(peers, { ctlSocket: '/tmp/x/ctl' });
    expect(routed).toContain('$du = "sip:192.0.2.7:5070";');
    expect(routed).toContain('$du = "sip:192.0.2.8:5060;transport=tcp";');
    // One TCP reader: a connection's messages are relayed in the order they came.
    expect(routed).toMatch(/^tcp_children=1$/m);
    const v6 = renderKamailioConfig(new Kamailio('2001:2::2').withTransports('udp').options, { ctlSocket: '/tmp/x/ctl' });
    expect(v6).toMatch(/^listen=udp:\[2001:2::2\]:5060$/m);
    expect(v6).toContain('alias="[2001:2::2]:5060"');
  });

  test('the config holds HA1 hashes, never a password, whatever characters it has', () => {
    expect(cfg).not.toContain('pw-alice');
    expect(cfg).toContain(`$var(pw) = "${createHash('md5').update(`alice:lab.test:${ACCOUNTS[0].password}`).digest('hex')}";`);
  });

  test('proxy authentication is rendered only when asked for, after the registrar and before routing', () => {
    expect(cfg).not.toContain('PROXYAUTH');
    const auth = renderKamailioConfig(new Kamailio('127.0.0.9').withDomain('lab.test').withAccounts(ACCOUNTS).withProxyAuth().options, { ctlSocket: '/tmp/x' });
    expect(auth).toMatch(/\troute\(PROXYAUTH\);\n\troute\(RECORDROUTE\);/);
    expect(auth).toContain('proxy_challenge("lab.test", "1");');
    expect(auth).not.toContain('pw-alice');
  });

  test('no accounts renders a config Kamailio accepts (no switch with only a default)', () => {
    expect(renderKamailioConfig(new Kamailio('127.0.0.9').options, { ctlSocket: '/tmp/x' })).toMatch(/route\[PASSWORD\] \{\n\t\$var\(pw\) = "";\n\}/);
  });

  test('a route override replaces exactly the named block, and an unknown route is an error', () => {
    const out = applyRouteOverrides(cfg, ['route[REGISTRAR] {\n\tsave("location");\n\texit;\n}']);
    expect(out).toMatch(/route\[REGISTRAR\] \{\n\tsave\("location"\);\n\texit;\n\}/);
    expect(out).not.toContain('www_challenge');
    expect(out).toContain('route[LOCATION]');
    expect(() => applyRouteOverrides(cfg, ['route[NOPE] {\n}'])).toThrow(/has no route\[NOPE\]/);
    expect(() => applyRouteOverrides(cfg, ['nothing here'])).toThrow(/holds no "route\[NAME\]/);
  });
});

d('Kamailio driver (real Kamailio)', () => {
  let block: AddressBlock;
  let dir: string;
  let k: StartedKamailio;
  beforeAll(async () => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-kam-'));
    k = await new Kamailio(block.allocateHost()).withDomain('lab.test').withAccounts(ACCOUNTS).withT1(100).start();
  });
  afterAll(async () => {
    await k?.stop();
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a registration shows up in the location table read through kamcmd', async () => {
    expect(await k.locations('alice')).toEqual([]);
    const ua = block.allocateHost();
    const r = await new Sipp(compileRegistration({ name: 'register', user: ACCOUNTS[0].user, domain: 'lab.test', steps: [{ contacts: [{ host: ua, port: 5060 }], expires: 300 }], canAuth: true, t1Ms: 500, transport: 'udp' }))
      .withLocal(ua)
      .withRemote(k.hostPort)
      .withAuth('alice', ACCOUNTS[0].password)
      .withTimeout(5000)
      .withControlPort(block.allocatePort())
      .withLogDir(dir)
      .run();
    expect(r.ok).toBe(true);
    const bindings = await k.locations('alice');
    expect(bindings).toHaveLength(1);
    expect(bindings[0].contact).toBe(`sip:alice@${ua}:5060`);
    expect(bindings[0].expiresIn).toBeGreaterThan(290);
    expect(bindings[0].expiresIn).toBeLessThanOrEqual(300);
    expect(k.logs()).toContain('SIPWRIGHT KAMAILIO READY');
  });

  test('with proxy authentication, its own user\'s MESSAGE is challenged with 407 and passes with credentials; a wrong password never passes; another domain\'s user is not challenged', async () => {
    const proxy = await new Kamailio(block.allocateHost()).withDomain('lab.test').withAccounts(ACCOUNTS).withT1(100).withProxyAuth().start();
    try {
      /** The status lines of what came back to a MESSAGE from `user@domain`, and whether it carried credentials. */
      const send = async (user: string, domain: string, password: string) => {
        const ua = block.allocateHost();
        const r = await new Sipp(compileMessage({ name: `message-${user}`, identity: { user, domain }, uri: 'sip:nobody@lab.test', body: { type: 'text/plain', lines: ['hi'] }, canAuth: true, t1Ms: 500 }))
          .withLocal(ua)
          .withRemote(proxy.hostPort)
          .withAuth(user, password)
          .withTimeout(5000)
          .withControlPort(block.allocatePort())
          .withLogDir(dir)
          .withName(`message-${user}-${password.length}`)
          .run();
        const log = readFileSync(r.files.messages, 'utf8');
        return { statuses: [...log.matchAll(/^SIP\/2\.0 (\d{3})/gm)].map((m) => Number(m[1])), credentials: /^Proxy-Authorization: Digest username="[^"]*"/m.test(log) };
      };
      // nobody is not registered: past the authentication, the location lookup answers 404.
      expect(await send('alice', 'lab.test', ACCOUNTS[0].password)).toEqual({ statuses: [407, 404], credentials: true });
      expect((await send('alice', 'lab.test', 'wrong')).statuses).toEqual([407, 407]);
      expect(await send('carol', 'elsewhere.test', 'whatever')).toEqual({ statuses: [404], credentials: false });
    } finally {
      await proxy.stop();
    }
  });

  test('a config Kamailio rejects fails the start with its own error, and nothing is left running', async () => {
    const broken = new Kamailio(block.allocateHost()).withRouteOverride('route[REGISTRAR] {\n\tno_such_function();\n}');
    await expect(broken.start()).rejects.toThrow(/kamailio@.* exited .* before it was ready[\s\S]*no_such_function|unknown command/);
  });

  test('stop() ends the whole process group', async () => {
    const other = await new Kamailio(block.allocateHost()).start();
    const pid = (other as unknown as { proc: { pid: number } }).proc.pid;
    expect(isAlive(pid)).toBe(true);
    await other.stop();
    // Nothing of the group still runs (zombies excepted: this machine's PID 1 does not reap orphans).
    const running = spawnSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' }).stdout.split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([pgid, stat]) => Number(pgid) === pid && !stat.startsWith('Z'));
    expect(running).toEqual([]);
  });
});

const canTls = which('sipp') !== undefined && which('openssl') !== undefined && process.getuid?.() === 0;
(canTls ? describe : describe.skip)('Kamailio over TLS (real Kamailio, natively with its tls module or in its image)', () => {
  let block: AddressBlock;
  let dir: string;
  let k: StartedKamailio;
  beforeAll(async () => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-kam-tls-'));
    k = await new Kamailio(block.allocateHost()).withDomain('lab.test').withAccounts(ACCOUNTS).withT1(100).withTransports('udp', 'tcp', 'tls').start();
  }, 60_000);
  afterAll(async () => {
    await k?.stop();
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('it listens for TLS on port + 1 with a certificate for its address from a CA made for it, and registers a client over TLS', async () => {
    expect(k.tls).toEqual({ port: k.port + 1, hostPort: `${k.address}:${k.port + 1}`, caFile: expect.stringMatching(/ca\.pem$/), caKeyFile: expect.stringMatching(/ca\.key$/) });
    const served = spawnSync('openssl', ['s_client', '-connect', k.tls!.hostPort, '-CAfile', k.tls!.caFile, '-verify_ip', k.address, '-verify_return_error', '-brief'], { input: '', encoding: 'utf8', timeout: 10_000 });
    expect(served.stderr).toMatch(/Verification: OK/);
    expect(served.stderr).toMatch(/Protocol version: TLSv1\.[23]/);
    const ua = block.allocateHost();
    const r = await new Sipp(compileRegistration({ name: 'register-tls', user: ACCOUNTS[0].user, domain: 'lab.test', steps: [{ contacts: [{ host: ua, port: 5060 }], expires: 300 }], canAuth: true, t1Ms: 100, transport: 'tls' }))
      .withLocal(ua)
      .withRemote(k.tls!.hostPort)
      .withTransport('tls')
      .withTls({ ca: k.tls!.caFile })
      .withAuth('alice', ACCOUNTS[0].password)
      .withTimeout(8000)
      .withLogDir(dir)
      .run();
    expect({ ok: r.ok, meaning: r.meaning }).toEqual({ ok: true, meaning: r.meaning });
    const [binding] = await k.locations('alice');
    expect(binding?.contact).toMatch(/;transport=tls/);
  }, 60_000);
});
