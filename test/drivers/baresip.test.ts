/**
 * The baresip driver on a real baresip 1.0 (its container) with a real Kamailio as registrar and proxy, every
 * verdict read from a capture: it registers from its own address, calls and hangs up, and as the transferee of
 * a blind transfer (RFC 3515) answers the REFER with 202, reports with NOTIFYs and INVITEs the target. Also its
 * ctrl client failing fast on a port nobody listens on, and stop() leaving no container behind.
 *
 * Addresses: block 246 of the loopback blocks (127.100.246.0/24; 241 is the grading test's), and only that one.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountLine, Baresip, BaresipCtrl, checkAccount, defaultBaresipOptions, NetstringDecoder, renderBaresipConfig, type StartedBaresip } from '../../drivers/baresip/index.js';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import { extractSip } from '../../src/capture/extract.js';
import { LiveCapture } from '../../src/capture/live.js';
import { dockerStatus } from '../../src/env/docker.js';
import { claimAddressBlock, type AddressBlock } from '../../src/lab/address-block.js';
import { labelledContainers, ownerLabel, RUN_LABEL } from '../../src/runtime/container.js';
import { imageExists } from '../../src/runtime/images/build.js';
import { imageTag } from '../../src/runtime/images/recipe.js';
import { which } from '../../src/runtime/native.js';
import { boundSockets, procHexAddress } from '../../drivers/sipp/readiness.js';
import { Trace, type TraceMessage } from '../../src/trace/trace.js';

const BLOCK = 246;
const DOMAIN = 'lab.test';
const ALICE = { user: 'alice', password: 'alice-bs-pw-1' };
const BOB = { user: 'bob', password: 'bob-bs-pw-2' };
const CAROL = { user: 'carol', password: 'carol-bs-pw-3' };
const DAVE = { user: 'dave', password: 'dave-bs-pw-4' };
const TAG = imageTag('baresip');

function skipReason(): string | undefined {
  const daemon = dockerStatus();
  if (!daemon.serverVersion) return `docker daemon not answering: ${daemon.problem}`;
  if (!imageExists(TAG)) return `image ${TAG} missing (sipwright images build --only baresip)`;
  if (!which('kamailio')) return 'kamailio not installed (apt-get install kamailio)';
  if (process.getuid?.() !== 0 || !which('tcpdump')) return 'the verdicts come from a capture: tcpdump, as root';
  return undefined;
}

/** This process's containers (running or not). */
function ourContainers(): string[] {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${ownerLabel()}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

/** The host pid of a started baresip's container (host network: its sockets are in /proc/net here). */
function baresipPid(b: StartedBaresip): number {
  const c = labelledContainers().find((x) => x.run === ownerLabel() && x.name === b.name);
  if (!c) throw new Error(`no container named ${b.name}`);
  return Number(spawnSync('docker', ['inspect', '--format', '{{.State.Pid}}', c.id], { encoding: 'utf8' }).stdout.trim());
}

describe('baresip config, account line and framing', () => {
  const o = { ...defaultBaresipOptions('127.0.0.9', 5070), ctrlPort: 4555, autoAnswer: true };
  const account = { ...ALICE, domain: DOMAIN, registrar: '127.0.0.8:5060', transport: 'tcp' as const };

  test('SIP, the interface and ctrl_tcp are bound to the endpoint\'s address; audio needs no sound card', () => {
    const cfg = renderBaresipConfig(o, { toneFile: '/x/tone.wav', modulePath: '/m' });
    expect(cfg).toMatch(/^sip_listen\t127\.0\.0\.9:5070$/m);
    expect(cfg).toMatch(/^net_interface\t127\.0\.0\.9$/m);
    expect(cfg).toMatch(/^ctrl_tcp_listen\t127\.0\.0\.9:4555$/m);
    expect(cfg).toMatch(/^audio_source\taufile,\/x\/tone\.wav$/m);
    expect(cfg).toMatch(/^audio_player\taubridge,nil$/m);
    expect(cfg).not.toContain('0.0.0.0');
    // The account (and its password) comes from the accounts file, read by the account module at start.
    expect(cfg).not.toMatch(/account/);
    expect(renderBaresipConfig({ ...o, account }, { toneFile: '/x/tone.wav', modulePath: '/m' })).toMatch(/^module_tmp\taccount\.so$/m);
  });

  test('the account line: outbound proxy over the account\'s transport, no registration until asked', () => {
    expect(accountLine(o, account, false)).toBe(`<sip:alice@lab.test;transport=tcp>;auth_user=alice;auth_pass=${ALICE.password};outbound="sip:127.0.0.8:5060;transport=tcp";regint=0;answermode=auto`);
    expect(accountLine(o, account, true)).toContain(';regint=600;');
  });

  test('a password the account line can\'t carry is refused without being shown', () => {
    expect(() => checkAccount('baresip@x', { ...account, password: 'a;b' })).toThrow(/^baresip@x: account password holds a character/);
    const err = (() => {
      try {
        checkAccount('baresip@x', { ...account, password: 'sec ret' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toMatch(/^baresip@x: account password holds a character/);
    expect(err?.message).not.toContain('sec ret');
    expect(() => checkAccount('baresip@x', { ...account, registrar: 'nohost' })).toThrow(/account registrar "nohost" is not host:port/);
  });

  test('netstrings split across reads come out whole', () => {
    const d = new NetstringDecoder();
    expect(d.push(Buffer.from('5:hel'))).toEqual([]);
    expect(d.push(Buffer.from('lo,3:abc,2'))).toEqual(['hello', 'abc']);
    expect(d.push(Buffer.from(':xy,'))).toEqual(['xy']);
    expect(() => new NetstringDecoder().push(Buffer.from('HTTP/1.1 200'))).toThrow(/not a netstring/);
  });
});

const reason = skipReason();
const d = reason ? describe.skip : describe;

d(`baresip driver (real baresip in ${reason ?? TAG}, real Kamailio)`, () => {
  let block: AddressBlock;
  let dir: string;
  let proxy: StartedKamailio;
  let alice: StartedBaresip;
  let bob: StartedBaresip;
  let carol: StartedBaresip;
  const started: StartedBaresip[] = [];

  /** One baresip with its own address, RTP range and log file. */
  async function phone(who: { user: string; password: string }, autoAnswer: boolean): Promise<StartedBaresip> {
    const rtp = block.allocatePorts(6);
    const b = await new Baresip(block.allocateHost())
      .withAccount({ ...who, domain: DOMAIN, registrar: proxy.hostPort })
      .withAutoAnswer(autoAnswer)
      .withRtpPorts(rtp, rtp + 5)
      .withLogFile(join(dir, `${who.user}.log`))
      .withRuntime('container')
      .start();
    started.push(b);
    return b;
  }

  beforeAll(async () => {
    const claimed = claimAddressBlock(BLOCK);
    if (claimed.index !== BLOCK) {
      claimed.release();
      throw new Error(`address block ${BLOCK} is taken (got ${claimed.index}): these tests use 127.100.${BLOCK}.0/24 only`);
    }
    block = claimed;
    dir = mkdtempSync(join(tmpdir(), 'sipwright-baresip-test-'));
    proxy = await new Kamailio(block.allocateHost()).withDomain(DOMAIN).withAccounts([ALICE, BOB, CAROL, DAVE]).withT1(100).start();
    [alice, bob, carol] = await Promise.all([phone(ALICE, false), phone(BOB, false), phone(CAROL, true)]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(started.map((b) => b.stop()));
    await proxy?.stop();
    block?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(ourContainers()).toEqual([]);
  });

  const parties = () => ({ [proxy.address]: 'proxy', [alice.address]: 'alice', [bob.address]: 'bob', [carol.address]: 'carol' });

  /**
   * Runs `body` under a capture of the block; the trace of what went over the wire. The capture holds the ctrl
   * connections too (they are on the phones' addresses): no password may be in it, in any form sent in clear.
   */
  async function captured(body: () => Promise<void>, more: Record<string, string> = {}): Promise<Trace> {
    const cap = await LiveCapture.start({ file: join(dir, `c-${Date.now()}.pcap`), filter: `net ${block.cidr}`, markerAddress: block.host(254) });
    try {
      await body();
      await cap.stop();
      const bytes = cap.bytes();
      for (const pw of [ALICE, BOB, CAROL, DAVE].map((a) => a.password)) expect({ pw, inCapture: bytes.includes(Buffer.from(pw)) }).toEqual({ pw, inCapture: false });
      const t = Trace.fromCapture(extractSip(bytes), { parties: { ...parties(), ...more } });
      // The ctrl connections (netstring JSON on port 4444) are in the capture too: they must not read as SIP.
      expect({ unparsed: t.unparsed, findings: t.captureFindings }).toEqual({ unparsed: [], findings: [] });
      return t;
    } finally {
      await cap.stop();
    }
  }

  const sipfrag = (m: TraceMessage) => m.message.bodyText.trim();

  test('register(): REGISTER from its own address with its Contact there, the challenge answered, REGISTER_OK', async () => {
    const trace = await captured(async () => {
      const ok = await alice.register();
      expect(ok).toMatchObject({ type: 'REGISTER_OK', accountaor: 'sip:alice@lab.test' });
      await Promise.all([bob.register(), carol.register()]);
    });
    const regs = trace.find({ method: 'REGISTER', from: 'alice', to: 'proxy', retransmissions: false });
    expect(regs.length).toBe(2); // without and with credentials
    for (const r of regs) {
      expect(r.src).toMatchObject({ ip: alice.address, port: 5060 });
      expect(r.message.get('contact')).toMatch(new RegExp(`@${alice.address.replace(/\./g, '\\.')}:5060[;>]`));
      expect(r.message.get('via')).toContain(`SIP/2.0/UDP ${alice.address}:5060`);
    }
    expect(trace.find({ from: 'proxy', to: 'alice', cseqMethod: 'REGISTER', retransmissions: false }).map((m) => m.status)).toEqual([401, 200]);
    expect(regs[1].message.get('authorization')).toMatch(/username="alice"/);
    expect((await proxy.locations('alice')).map((b) => b.contact)).toEqual([expect.stringContaining(`@${alice.address}:5060`)]);
    // Each password in no log: neither logs() nor the log file (the account line with it is in a 0600 file only).
    for (const [b, a] of [[alice, ALICE], [bob, BOB], [carol, CAROL]] as const) {
      expect(b.logs()).not.toContain(a.password);
      expect(readFileSync(join(dir, `${a.user}.log`), 'utf8')).not.toContain(a.password);
    }
  });

  test('a wrong password: register() rejects naming the account and the reason, the password nowhere', async () => {
    const rtp = block.allocatePorts(4);
    const eve = await new Baresip(block.allocateHost()).withAccount({ user: 'alice', password: 'not-alices-pw', domain: DOMAIN, registrar: proxy.hostPort }).withRtpPorts(rtp, rtp + 3).withRuntime('container').start();
    const name = `baresip@${eve.hostPort}`;
    try {
      const err = await eve.register().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: account sip:alice@lab\\.test could not register with ${proxy.hostPort.replace(/\./g, '\\.')}: 401 Unauthorized$`));
      expect(err?.message).not.toContain('not-alices-pw');
      expect(eve.logs()).not.toContain('not-alices-pw');
      expect(JSON.stringify(eve.events)).not.toContain('not-alices-pw');
    } finally {
      await eve.stop();
    }
    expect(labelledContainers().filter((c) => c.name === name)).toEqual([]);
    expect(eve.running).toBe(false);
  });

  test('alice calls bob through the proxy; bob answers; alice hangs up with BYE', async () => {
    const trace = await captured(async () => {
      await alice.dial(`sip:bob@${DOMAIN}`);
      await bob.waitFor('CALL_INCOMING');
      await alice.waitFor('CALL_RINGING');
      await bob.answer();
      await alice.waitFor('CALL_ESTABLISHED');
      // In a call: SIP, RTP, RTCP and ctrl on alice's own address (the image's shim moves RTP off 0.0.0.0).
      const own = procHexAddress(alice.address);
      const sockets = boundSockets(baresipPid(alice));
      const rtp = sockets.filter((x) => x.transport === 'udp' && x.port >= alice.options.rtpPorts.start && x.port <= alice.options.rtpPorts.end);
      expect(rtp.map((x) => x.localHex)).toEqual([own, own]);
      expect(sockets.filter((x) => x.transport === 'tcp').map((x) => [x.localHex, x.port]).sort()).toEqual([[own, 4444], [own, 5060], [own, 5061]]);
      // What is left on a wildcard: libre's IPv6 DNS client socket, on a port the kernel chose.
      expect(sockets.filter((x) => x.wildcard).map((x) => [x.transport, x.localHex.length, x.port >= 32768])).toEqual([['udp', 32, true]]);
      const closed = await alice.hangup();
      expect(closed.direction).toBe('outgoing');
      await bob.waitFor('CALL_CLOSED');
      expect([alice.calls(), bob.calls()]).toEqual([[], []]);
    });
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    expect(invite.message.kind === 'request' && invite.message.uriText).toBe(`sip:bob@${DOMAIN}`);
    const callId = invite.message.callId;
    // Its SDP offers its own address, and a port of the range it was given (baresip binds RTP on every address).
    const media = /^m=audio (\d+) /m.exec(invite.message.bodyText);
    expect(invite.message.bodyText).toMatch(new RegExp(`^c=IN IP4 ${alice.address.replace(/\./g, '\\.')}\\r?$`, 'm'));
    expect(Number(media?.[1])).toBeGreaterThanOrEqual(alice.options.rtpPorts.start);
    expect(Number(media?.[1])).toBeLessThanOrEqual(alice.options.rtpPorts.end);
    expect(trace.find({ from: 'bob', cseqMethod: 'INVITE', callId, retransmissions: false }).map((m) => m.status)).toEqual([180, 200]);
    expect(trace.one({ method: 'ACK', from: 'alice', callId })).toBeDefined();
    expect(trace.one({ method: 'BYE', from: 'alice', callId })).toBeDefined();
    expect(trace.one({ status: 200, cseqMethod: 'BYE', from: 'bob', callId })).toBeDefined();
  });

  test('alice hangs up while bob\'s phone rings: CANCEL, and the INVITE ends 487', async () => {
    const trace = await captured(async () => {
      await alice.dial(`sip:bob@${DOMAIN}`);
      // At once: the call may not have had an event with its id yet.
      const closed = await alice.hangup();
      expect(closed.direction).toBe('outgoing');
      // bob's events of this call are waited for here, or a later waitFor('CALL_INCOMING') would get them.
      await bob.waitFor('CALL_INCOMING');
      await bob.waitFor('CALL_CLOSED');
    });
    const invite = trace.one({ method: 'INVITE', from: 'alice' });
    const callId = invite.message.callId;
    expect(trace.one({ method: 'CANCEL', from: 'alice', callId })).toBeDefined();
    expect(trace.one({ status: 487, cseqMethod: 'INVITE', from: 'proxy', to: 'alice', callId })).toBeDefined();
    expect(trace.find({ method: 'BYE', callId })).toEqual([]);
  });

  test('blind transfer: bob REFERs alice to carol; alice answers 202, NOTIFYs 100 then 200, and INVITEs carol', async () => {
    const trace = await captured(async () => {
      await alice.dial(`sip:bob@${DOMAIN}`);
      await bob.answer();
      await alice.waitFor('CALL_ESTABLISHED');
      await bob.transfer(`sip:carol@${DOMAIN}`);
      const t = await alice.waitFor('TRANSFER');
      expect(t.param).toBe(`sip:carol@${DOMAIN}`);
      await alice.waitFor('CALL_ESTABLISHED', { where: (e) => e.peeruri === `sip:carol@${DOMAIN}` });
      await carol.waitFor('CALL_ESTABLISHED');
      // The transferor ends the first call once the NOTIFY says 200.
      expect((await bob.waitFor('CALL_CLOSED')).param).toBe('Call transfered');
      await alice.waitFor('CALL_CLOSED', { where: (e) => e.peeruri === `sip:bob@${DOMAIN}` });
      await alice.hangup();
      await carol.waitFor('CALL_CLOSED');
    });
    const refer = trace.one({ method: 'REFER', from: 'bob' });
    expect(refer.message.get('refer-to')).toBe(`sip:carol@${DOMAIN}`);
    const firstCall = refer.message.callId;
    expect(trace.one({ status: 202, cseqMethod: 'REFER', from: 'alice' }).message.callId).toBe(firstCall);
    const notifies = trace.find({ method: 'NOTIFY', from: 'alice', callId: firstCall, retransmissions: false });
    expect(notifies.map(sipfrag)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    for (const n of notifies) {
      expect(n.message.get('event')).toMatch(/^refer\b/);
      expect(n.message.get('content-type')).toBe('message/sipfrag');
    }
    expect(notifies[1].message.get('subscription-state')).toMatch(/^terminated/);
    const toCarol = trace.one({ method: 'INVITE', from: 'alice', after: refer, where: (m) => m.message.kind === 'request' && m.message.uriText === `sip:carol@${DOMAIN}` });
    expect(toCarol.message.callId).not.toBe(firstCall);
    expect(toCarol.index).toBeLessThan(notifies[1].index);
    expect(trace.find({ from: 'carol', cseqMethod: 'INVITE', callId: toCarol.message.callId, retransmissions: false }).map((m) => m.status)).toContain(200);
    expect(trace.one({ method: 'BYE', from: 'bob', callId: firstCall }).index).toBeGreaterThan(notifies[1].index);
    expect(trace.one({ method: 'BYE', from: 'alice', callId: toCarol.message.callId })).toBeDefined();
  });

  test('a transfer to nobody: alice\'s last NOTIFY carries the 404, bob gets TRANSFER_FAILED, and (baresip 1.0) still ends the call', async () => {
    const trace = await captured(async () => {
      await alice.dial(`sip:bob@${DOMAIN}`);
      await bob.answer();
      await alice.waitFor('CALL_ESTABLISHED');
      await bob.transfer(`sip:nobody@${DOMAIN}`);
      expect((await bob.waitFor('TRANSFER_FAILED')).param).toBe('404 Not Found');
      expect((await alice.waitFor('CALL_CLOSED', { where: (e) => e.peeruri === `sip:nobody@${DOMAIN}` })).param).toBe('404 Not Found');
      await alice.waitFor('CALL_CLOSED', { where: (e) => e.peeruri === `sip:bob@${DOMAIN}` });
      // baresip drops the call without a CALL_CLOSED of its own; its listcalls agrees with calls().
      expect(bob.calls()).toEqual([]);
      expect(await bob.ctrl.command('listcalls')).toContain('Active calls (0)');
    });
    const refer = trace.one({ method: 'REFER', from: 'bob' });
    const firstCall = refer.message.callId;
    const notifies = trace.find({ method: 'NOTIFY', from: 'alice', callId: firstCall, retransmissions: false });
    expect(notifies.map(sipfrag)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 404 Not Found']);
    const toNobody = trace.one({ method: 'INVITE', from: 'alice', after: refer });
    expect(trace.one({ status: 404, cseqMethod: 'INVITE', to: 'alice', callId: toNobody.message.callId })).toBeDefined();
    expect(trace.one({ method: 'BYE', from: 'bob', callId: firstCall }).index).toBeGreaterThan(notifies[1].index);
  });

  test('over TCP: the account registers over TCP, with a Contact saying so', async () => {
    const rtp = block.allocatePorts(6);
    const dave = await new Baresip(block.allocateHost()).withAccount({ ...DAVE, domain: DOMAIN, registrar: proxy.hostPort, transport: 'tcp' }).withRtpPorts(rtp, rtp + 5).withRuntime('container').start();
    try {
      const trace = await captured(async () => {
        await dave.register();
      }, { [dave.address]: 'dave' });
      const regs = trace.find({ method: 'REGISTER', from: 'dave', retransmissions: false });
      expect(regs.map((r) => [r.transport, r.src.ip])).toEqual([['tcp', dave.address], ['tcp', dave.address]]);
      expect(regs[1].message.get('contact')).toMatch(new RegExp(`@${dave.address.replace(/\./g, '\\.')}:5060;transport=tcp>`));
      expect(trace.find({ to: 'dave', cseqMethod: 'REGISTER', retransmissions: false }).map((m) => m.status)).toEqual([401, 200]);
    } finally {
      await dave.stop();
    }
  });

  test('its ctrl port held by another process: start() fails at once, naming the module, the port and why', async () => {
    const address = block.allocateHost();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(4444, address, r));
    try {
      const t0 = Date.now();
      const err = await new Baresip(address).withRuntime('container').start().then((b) => b.stop(), (e: Error) => e);
      expect((err as Error | undefined)?.message).toBe(`baresip@${address}:5060: baresip could not load ctrl_tcp.so (its ctrl port ${address}:4444): Address already in use`);
      expect(Date.now() - t0).toBeLessThan(8000);
    } finally {
      squatter.close();
    }
    expect(labelledContainers().filter((c) => c.name === `baresip@${address}:5060`)).toEqual([]);
  });

  test('its SIP port held by another process: start() fails naming the endpoint, with baresip\'s reason', async () => {
    const address = block.allocateHost();
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(5060, address, r));
    try {
      const t0 = Date.now();
      const err = await new Baresip(address).withRuntime('container').start().then((b) => b.stop(), (e: Error) => e);
      expect((err as Error | undefined)?.message).toMatch(new RegExp(`^baresip@${address.replace(/\./g, '\\.')}:5060 .*did not start[^]*Address already in use`));
      expect(Date.now() - t0).toBeLessThan(8000);
    } finally {
      squatter.close();
    }
    expect(labelledContainers().filter((c) => c.name === `baresip@${address}:5060`)).toEqual([]);
  });

  test('the ctrl client fails within seconds, naming the endpoint and port, where nothing listens', async () => {
    const t0 = Date.now();
    const err = await BaresipCtrl.connect({ host: block.host(250), port: 4444, name: 'baresip@nowhere', timeoutMs: 1500 }).then(() => undefined, (e: Error) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err?.message).toBe(`baresip@nowhere: its ctrl_tcp port ${block.host(250)}:4444 did not accept a connection within 1500 ms (ECONNREFUSED): is baresip running with ctrl_tcp_listen ${block.host(250)}:4444?`);
  });

  test('commands over ctrl: baresip\'s refusals come back as errors; what baresip would take silently, the driver refuses', async () => {
    await expect(alice.ctrl.command('nosuch')).rejects.toThrow(/^baresip@[\d.]+:5060: ctrl command "nosuch" failed: command not found \(nosuch\)$/);
    // Without a call: "command not found" until its first call registers the call menu, "Invalid argument" after.
    await expect(alice.ctrl.command('transfer', 'sip:x@y')).rejects.toThrow(/ctrl command "transfer sip:x@y" failed: (command not found|Invalid argument)/);
    await expect(alice.transfer('sip:x@y')).rejects.toThrow(/no established call to transfer/);
    await expect(alice.hangup()).rejects.toThrow(/no call to hang up/);
    await expect(alice.ctrl.command('dial', `sip:${'x'.repeat(260)}@y`)).rejects.toThrow(/baresip cuts a command at 255/);
    await expect(alice.waitFor('CALL_INCOMING', { timeoutMs: 200 })).rejects.toThrow(/no CALL_INCOMING within 200 ms; events since/);
  });
});
