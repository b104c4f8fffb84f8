/**
 * A target on another host, as a user meets one, without a second machine: a Kamailio in a network namespace
 * of its own, behind a veth pair, at an address of the benchmarking range (198.18.0.0/15), described by a
 * target file and run against by that address. The parties then share the local address that routes to it
 * (told apart by port, named in ladders all the same), and each test's capture listens on the veth with a
 * filter for the target and the worker's ports. Also: a target at an IPv6 address (2001:2::/48, the IPv6
 * benchmarking range), a target reachable only over TCP, a name that does not resolve, and a --local-address
 * that is not this machine's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Kamailio, type KamailioTransport, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { extractSip } from '../../src/capture/extract.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { which } from '../../src/runtime/native.js';
import { createNetns, sipwrightNetns, type StartedNetns } from '../../src/runtime/netns.js';
import { hostPort, uriHost } from '../../src/util/host.js';
import { ACCOUNTS, notPassed, ROOT, RUN_LIMIT, runSuite, type SummaryTest } from '../suites/support.js';

const canRun = process.getuid?.() === 0 && ['sipp', 'kamailio', 'tcpdump', 'ip'].every((c) => which(c));
const d = canRun ? describe : describe.skip;

/** The suites a registrar and proxy has the roles for. */
const PROXY_SUITES = ['registration', 'calls', 'forking', 'prack', 'session-timers'];

/** The other domain each remote proxy routes: to this machine's end of its veth, where the run starts its proxy. */
const PEER_DOMAIN = 'other.test';
const PEER_PORT = 5070;

interface RemoteProxy {
  ns: StartedNetns;
  kamailio: StartedKamailio;
  stop(): Promise<void>;
}

/**
 * A Kamailio alone in a namespace at 198.18.<block>.<2+4i>, reached from 198.18.<block>.<1+4i>; over IPv6 at
 * 2001:2:0:<block>::2, reached from 2001:2:0:<block>::1 (the benchmarking range 2001:2::/48, one /64 per block).
 */
async function startRemoteProxy(block: AddressBlock, i: number, transports: KamailioTransport[] = ['udp', 'tcp'], family: 4 | 6 = 4): Promise<RemoteProxy> {
  const ns = family === 6
    ? createNetns({ inside: `2001:2:0:${block.index}::2`, outside: `2001:2:0:${block.index}::1` })
    : createNetns({ inside: `198.18.${block.index}.${4 * i + 2}`, outside: `198.18.${block.index}.${4 * i + 1}` });
  try {
    // The other domain is served from this side of the veth, where the run starts that domain's proxy.
    const kamailio = await new Kamailio(ns.inside).withNetns(ns.name).withTransports(...transports).withDomain('remote.test').withAccounts(ACCOUNTS).withT1(100)
      .withPeer(PEER_DOMAIN, ns.outside, PEER_PORT, transports.includes('udp') ? undefined : 'tcp').start();
    return { ns, kamailio, stop: async () => { await kamailio.stop(); ns.delete(); } };
  } catch (e) {
    ns.delete();
    throw e;
  }
}

function targetFile(dir: string, name: string, address: string, transport: string, extra: string[] = [], peer?: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`,
    `address: ${address}`,
    `transport: ${transport}`,
    'roles: [registrar, proxy]',
    'domain: remote.test',
    't1: 100',
    'registrar: { minExpires: 60 }',
    `proxy: { sequentialForking: true${peer ? `, peer: { domain: ${PEER_DOMAIN}, address: "${hostPort(peer, PEER_PORT)}" }` : ''} }`,
    ...extra,
    'accounts:',
    ...ACCOUNTS.map((a) => `  - { user: ${a.user}, password: ${a.password} }`),
    '',
  ].join('\n'));
  return file;
}

/**
 * Every packet of a test's capture is between the target and the local address, or on this machine between the
 * other domain's proxy and a party (both at the local address).
 */
function packetsOutside(pcap: Buffer, target: string, local: string): string[] {
  const r = extractSip(pcap);
  return r.payloads.flatMap((m) => {
    const ends = [m.src.ip, m.dst.ip].sort().join(' ');
    const peerLeg = ends === `${local} ${local}`;
    return ends === [target, local].sort().join(' ') || peerLeg ? [] : [`${m.src.ip}:${m.src.port} → ${m.dst.ip}:${m.dst.port}`];
  });
}

/** The inter-domain calls ran and passed: the other domain's proxy was reached through the remote target. */
function interDomainPassed(tests: SummaryTest[]): string[] {
  return tests.filter((t) => t.suite === 'calls' && /Inter-domain call through two proxies/.test(t.fullName ?? '')).map((t) => `${t.status}: ${t.name}`);
}

/**
 * Skipped tests whose reason is not one the target file explains (no pbx role, no other domain declared, a
 * registrar that answers 423) nor one of `allowed`.
 */
function unexpectedSkips(tests: SummaryTest[], allowed: RegExp[]): string[] {
  const declared = [/does not declare the role pbx$/, /answers too brief an expiry with 423/, ...allowed];
  return tests.filter((t) => t.status === 'skipped' && !declared.some((re) => re.test(t.skipReason ?? ''))).map((t) => `${t.name}: ${t.skipReason}`);
}

const NOISE_CALL_ID = 'sipwright-noise-not-in-any-trace';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** OPTIONS to the target every 50 ms from an ephemeral port of the local address, in a child process. */
function startNoise(from: string, to: string): ChildProcess {
  const [f, t] = [uriHost(from), uriHost(to)];
  const script = `
    const s = require('node:dgram').createSocket('${isIP(from) === 6 ? 'udp6' : 'udp4'}');
    s.bind(0, ${JSON.stringify(from)}, () => {
      let n = 0;
      setInterval(() => {
        const p = s.address().port;
        const m = ['OPTIONS sip:${t} SIP/2.0', 'Via: SIP/2.0/UDP ${f}:' + p + ';branch=z9hG4bK-noise-' + (++n) + ';rport', 'Max-Forwards: 70',
          'From: <sip:noise@${f}>;tag=noise', 'To: <sip:${t}>', 'Call-ID: ${NOISE_CALL_ID}', 'CSeq: ' + n + ' OPTIONS', 'Content-Length: 0', '', ''].join('\\r\\n');
        s.send(m, 5060, ${JSON.stringify(to)});
      }, 50);
    });`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

/** At least `atLeast` pcaps, each holding only the run's own packets (packetsOutside) and none of the noise. */
function expectOnlyOwnPackets(tests: SummaryTest[], report: string, proxy: RemoteProxy, atLeast: number): void {
  const pcaps = tests.filter((x) => x.pcap).map((t) => ({ test: t.name, bytes: readFileSync(join(report, t.pcap!)) }));
  expect(pcaps.length).toBeGreaterThanOrEqual(atLeast);
  for (const { test, bytes } of pcaps) {
    expect({ test, outside: packetsOutside(bytes, proxy.ns.inside, proxy.ns.outside), noise: bytes.includes(NOISE_CALL_ID) }).toEqual({ test, outside: [], noise: false });
  }
}

/**
 * `sipwright run` of these suites against the remote proxy while another program sends it SIP on the same
 * interface; every test passes, the inter-domain calls included, or is skipped for what the file declares.
 */
function runAmidNoise(proxy: RemoteProxy, suites: string[], out: string, file: string, atLeast: number): ReturnType<typeof runSuite> {
  const noise = startNoise(proxy.ns.outside, proxy.ns.inside);
  let r: ReturnType<typeof runSuite>;
  let noiseRan: boolean;
  try {
    r = runSuite(suites, out, ['--target', file]);
    // A failed run keeps its report (captures, SIPp and Kamailio logs) for the next look: the temp folder goes.
    if (r.code !== 0) cpSync(out, join(ROOT, 'reports', `remote-failed-${basename(out)}`), { recursive: true });
  } finally {
    noiseRan = noise.exitCode === null && noise.signalCode === null;
    noise.kill('SIGKILL');
  }
  expect(noiseRan).toBe(true);
  expect(r.out).toContain(`from ${proxy.ns.outside} on ${proxy.ns.hostIface}`);
  expect(notPassed(r.tests).filter((t) => !t.startsWith('skipped'))).toEqual([]);
  expect(unexpectedSkips(r.tests, [])).toEqual([]);
  expect(interDomainPassed(r.tests).length).toBeGreaterThan(0);
  expect(interDomainPassed(r.tests).filter((t) => !t.startsWith('passed'))).toEqual([]);
  expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(atLeast);
  expect(r.code).toBe(0);
  return r;
}

function sipwright(args: string[], timeoutMs = 60_000): { code: number | null; out: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, JEST_WORKER_ID: undefined } });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, ms: Date.now() - t0 };
}

d('a target on another host (a Kamailio in a network namespace)', () => {
  let dir: string;
  let block: AddressBlock;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipwright-remote-'));
    block = claimAddressBlock(231);
  });
  afterAll(() => {
    block.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('passes every suite it has the roles for over UDP, its parties sharing the local address, named in the ladders', async () => {
    const proxy = await startRemoteProxy(block, 0);
    try {
      const file = targetFile(dir, 'remote-proxy', `${proxy.ns.inside}:5060`, 'udp', [], proxy.ns.outside);
      // Another program on the same interface talks SIP to the same target all along: none of it may enter a trace.
      const r = runAmidNoise(proxy, PROXY_SUITES, join(dir, 'udp'), file, 40);
      const call = r.tests.find((t) => /Basic call through the proxy/.test(t.fullName ?? t.name) && t.ladderHtml)!;
      expect(call).toBeDefined();
      const report = join(dir, 'udp', 'report');
      const ladder = readFileSync(join(report, call.ladderHtml!.replace(/\.html$/, '.txt')), 'utf8');
      expect(ladder).toMatch(/alice/);
      expect(ladder).toMatch(/bob/);
      expect(ladder).toMatch(/proxy/);
      expectOnlyOwnPackets(r.tests, report, proxy, 40);
    } finally {
      await proxy.stop();
    }
  }, RUN_LIMIT);

  test('a target reachable only over TCP: its suites pass over TCP, and over UDP the run says in seconds that it is unreachable', async () => {
    const proxy = await startRemoteProxy(block, 1, ['tcp']);
    try {
      const udp = targetFile(dir, 'tcp-only-as-udp', `${proxy.ns.inside}:5060`, 'udp');
      const refused = sipwright(['run', '--target', udp, '--suite', 'registration', '--report', join(dir, 'refused'), '--no-allure']);
      expect(refused.out).toMatch(/target tcp-only-as-udp at 198\.18\.\d+\.\d+:5060 \(udp\) is unreachable/);
      expect(refused.code).toBe(1);
      expect(refused.ms).toBeLessThan(20_000);

      const tcp = targetFile(dir, 'tcp-only', `${proxy.ns.inside}:5060`, 'tcp', [], proxy.ns.outside);
      const r = runSuite(PROXY_SUITES, join(dir, 'tcp'), ['--target', tcp]);
      expect(notPassed(r.tests).filter((t) => !t.startsWith('skipped'))).toEqual([]);
      // What only happens over UDP is skipped with the reason, and nothing else.
      expect(unexpectedSkips(r.tests, [/^over TCP /])).toEqual([]);
      expect(interDomainPassed(r.tests).length).toBeGreaterThan(0);
      expect(interDomainPassed(r.tests).filter((t) => !t.startsWith('passed'))).toEqual([]);
      expect(r.tests.filter((t) => t.status === 'skipped' && /^over TCP /.test(t.skipReason ?? '')).length).toBe(3);
      expect(r.tests.filter((t) => t.status === 'passed').length).toBeGreaterThanOrEqual(35);
      expect(r.code).toBe(0);
    } finally {
      await proxy.stop();
    }
  }, RUN_LIMIT);

  test('a target at an IPv6 address: its registration, call, forking and PRACK suites pass over UDP, the parties sharing the local IPv6 address', async () => {
    // Session timers pass too (by hand: 6 of 6), but their tests wait out RFC 4028 intervals in real time
    // (a minute), and add no address handling the call suites lack.
    const proxy = await startRemoteProxy(block, 2, ['udp'], 6);
    try {
      // The bracketed form, quoted: YAML reads an unquoted [ … ] as a list.
      const file = targetFile(dir, 'remote-proxy-v6', `"[${proxy.ns.inside}]:5060"`, 'udp', [], proxy.ns.outside);
      const r = runAmidNoise(proxy, ['registration', 'calls', 'forking', 'prack'], join(dir, 'v6'), file, 33);
      const report = join(dir, 'v6', 'report');
      const call = r.tests.find((t) => /Basic call through the proxy/.test(t.fullName ?? t.name) && /INVITE/.test(t.name) && t.ladderHtml)!;
      expect(call).toBeDefined();
      const ladder = readFileSync(join(report, call.ladderHtml!.replace(/\.html$/, '.txt')), 'utf8');
      for (const party of ['alice', 'bob', 'proxy']) expect(ladder).toContain(party);
      expect(ladder).not.toContain(proxy.ns.outside);
      // The user agents write the IPv6 address as SIP wants it: bracketed in Via and Contact, bare after IN IP6.
      const wire = readFileSync(join(report, call.pcap!)).toString('latin1');
      const local = uriHost(proxy.ns.outside);
      expect(wire).toMatch(new RegExp(String.raw`\r\nVia: SIP/2\.0/UDP ${escape(local)}:\d+;branch=`));
      expect(wire).toMatch(new RegExp(String.raw`\r\nContact: <sip:bob@${escape(local)}:\d+`));
      expect(wire).toContain(`\r\nc=IN IP6 ${proxy.ns.outside}\r\n`);
      expect(wire).toContain(`\r\nRecord-Route: <sip:${uriHost(proxy.ns.inside)};lr`);
      expectOnlyOwnPackets(r.tests, report, proxy, 33);
    } finally {
      await proxy.stop();
    }
  }, RUN_LIMIT);

  test('a name that does not resolve, and a --local-address that is not this machine\'s: clear errors within seconds', () => {
    const nowhere = targetFile(dir, 'nowhere', 'sip.nowhere.invalid:5060', 'udp');
    const r = sipwright(['run', '--target', nowhere, '--suite', 'registration', '--report', join(dir, 'nowhere'), '--no-allure']);
    expect(r.out).toContain(`target file ${nowhere}: address: "sip.nowhere.invalid" does not resolve`);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(15_000);

    const elsewhere = targetFile(dir, 'elsewhere', '198.18.255.2:5060', 'udp');
    const bad = sipwright(['run', '--target', elsewhere, '--local-address', '203.0.113.9', '--suite', 'registration', '--report', join(dir, 'bad-local'), '--no-allure']);
    expect(bad.out).toContain('--local-address: 203.0.113.9 is not an address of this machine');
    expect(bad.code).toBe(2);
  }, 60_000);

  test('leaves no network namespace of its own behind', () => {
    expect(sipwrightNetns().filter((n) => n.startsWith(`sw-${process.pid}-`))).toEqual([]);
  });
});
