/**
 * Calls through the Asterisk driver's PBX on a real Asterisk 22 (container): the echo feature, a call between
 * two accounts with Asterisk as a B2BUA (two dialogs), answer-then-hang-up (Asterisk's BYE), music on hold
 * and park; where its sockets are; a config Asterisk refuses; and stop() leaving no container behind.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdpTransform from 'sdp-transform';
import { Asterisk, type AsteriskChannel, type StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { Sipp, type SippResult } from '../../../drivers/sipp/index.js';
import { boundSockets, procHexAddress } from '../../../drivers/sipp/readiness.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import { ProcessStartError } from '../../../src/runtime/native.js';
import type { TraceMessage } from '../../../src/trace/trace.js';
import type { CallStep } from '../../../src/ua/call.js';
import { answerer, caller, finals, registration } from '../../support/ua.js';
import { ASTERISK_TAG, asteriskPid, asteriskSkipReason, canCapture, captured, ourContainers, rtpPorts, until } from './support.js';

const skipReason = asteriskSkipReason();
const d = skipReason ? describe.skip : describe;
const DOMAIN = 'lab.test';
const ALICE = { user: 'alice', password: 'alice-call-pw-1' };
const BOB = { user: 'bob', password: 'bob-call-pw-2' };

const seen = (r: { stats: { messages: Array<{ direction: string; label: string; messages: number }> } }) =>
  r.stats.messages.filter((m) => m.messages > 0).map((m) => `${m.direction}:${m.label}`);
const isInvite = (m: TraceMessage) => m.message.cseq?.method === 'INVITE';

d(`Asterisk calls in a container (${skipReason ?? ASTERISK_TAG})`, () => {
  let block: AddressBlock;
  let dir: string;
  let pbx: StartedAsterisk;
  let rtp: [number, number];
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ast-call-'));
    alice = block.allocateHost();
    bob = block.allocateHost();
    rtp = rtpPorts(block);
    pbx = await new Asterisk(block.allocateHost()).withDomain(DOMAIN).withAccounts([ALICE, BOB]).withT1(100).withRtpPorts(...rtp).withRuntime('container').start();
  }, 30_000);

  afterAll(async () => {
    await pbx?.stop();
    block?.release();
    rmSync(dir, { recursive: true, force: true });
    expect(ourContainers()).toEqual([]);
  });

  const parties = () => ({ [pbx.address]: 'pbx', [alice]: 'alice', [bob]: 'bob' });

  /**
   * alice calls `dialled` through the PBX, answering its challenge, and then does `steps` (default: hangs up
   * at once). In the background: the test looks at the PBX meanwhile.
   */
  function aliceCalls(dialled: string, steps?: CallStep[]) {
    return new Sipp(caller({ uri: `sip:${dialled}@${DOMAIN}`, identity: { user: ALICE.user, domain: DOMAIN }, canAuth: true, t1Ms: 100, steps }))
      .withLocal(alice)
      .withRemote(pbx.hostPort)
      .withAuth(ALICE.user, ALICE.password)
      .withT1(100)
      .withTimeout(8000)
      .withLogDir(dir)
      .start();
  }

  /** The UA answers a challenge if one comes: that the PBX asked for alice's credentials is read from what she received. */
  const challenged = (r: SippResult) => finals(r).some((s) => s === 401 || s === 407);
  /** Talk for `ms`, then hang up. */
  const holdThenBye = (ms: number): CallStep[] => [{ kind: 'bye', afterMs: ms }];

  const channelsWhere = (ok: (c: AsteriskChannel[]) => boolean) => until(() => pbx.channels(), ok, 4000);

  test('echo: the call is answered with an SDP answer on the PBX\'s address and RTP range, runs Echo(), and ends with the caller\'s BYE', async () => {
    const { value, trace } = await captured(block, dir, parties(), async () => {
      const call = await aliceCalls('600', holdThenBye(1500));
      const during = await channelsWhere((c) => c.some((x) => x.application === 'Echo'));
      // Where Asterisk's sockets are while media is set up: SIP and RTP on its own address only.
      const sockets = boundSockets(asteriskPid(pbx));
      return { r: await call.wait(), during, sockets };
    });
    const { r, during, sockets } = value;
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(seen(r)).toEqual(expect.arrayContaining(['received:401', 'received:200', 'sent:ACK', 'sent:BYE']));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ endpoint: 'alice', exten: '600', application: 'Echo', state: 'Up', callerId: 'alice', context: 'sipwright' });

    const own = procHexAddress(pbx.address);
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    expect(sockets.filter((s) => !s.wildcard && s.localHex !== own)).toEqual([]);
    const onOwn = sockets.filter((s) => s.localHex === own);
    expect(onOwn.filter((s) => s.port === pbx.port).map((s) => s.transport).sort()).toEqual(['tcp', 'udp']);
    const media = onOwn.filter((s) => s.port !== pbx.port);
    expect(media.length).toBeGreaterThanOrEqual(2); // RTP and RTCP
    for (const s of media) expect({ transport: s.transport, port: s.port, inRange: s.port >= rtp[0] && s.port <= rtp[1] }).toEqual({ transport: 'udp', port: s.port, inRange: true });
    // pjsip's DNS resolver holds two client sockets on kernel-chosen ephemeral ports (IPv4 and IPv6): nothing listens on a fixed wildcard port.
    for (const s of sockets.filter((x) => x.wildcard)) expect({ transport: s.transport, ephemeral: s.port >= low }).toEqual({ transport: 'udp', ephemeral: true });

    if (trace) {
      const ok = trace.first({ status: 200, from: 'pbx', where: isInvite })!;
      const answer = sdpTransform.parse(ok.message.bodyText);
      expect(answer.media[0].connection?.ip ?? answer.connection?.ip).toBe(pbx.address);
      expect(answer.media[0].port).toBeGreaterThanOrEqual(rtp[0]);
      expect(answer.media[0].port).toBeLessThanOrEqual(rtp[1]);
      expect(trace.find({ method: 'BYE', from: 'pbx' })).toEqual([]);
    }
    expect(await channelsWhere((c) => c.length === 0)).toEqual([]);
  });

  test('alice calls bob: Asterisk bridges two dialogs of its own (B2BUA), with different Call-IDs', async () => {
    const reg = await new Sipp(registration({ user: BOB.user, domain: DOMAIN, expires: 300, t1Ms: 100 })).withLocal(bob).withRemote(pbx.hostPort).withAuth(BOB.user, BOB.password).withT1(100).withTimeout(5000).withLogDir(dir).run();
    expect({ ok: reg.ok, finals: finals(reg) }).toEqual({ ok: true, finals: [401, 200] });
    expect((await pbx.contacts('bob')).map((c) => c.uri)).toEqual([`sip:bob@${bob}:5060`]);

    const { value, trace } = await captured(block, dir, parties(), async () => {
      const uas = await new Sipp(answerer({ user: BOB.user, t1Ms: 100 })).withLocal(bob).withTimeout(8000).withLogDir(dir).start();
      const call = await aliceCalls(BOB.user, holdThenBye(1500));
      const during = await channelsWhere((c) => c.length === 2 && c.every((x) => x.bridgeId !== ''));
      return { r: await call.wait(), callee: await uas.wait(), during };
    });
    const { r, callee, during } = value;
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(challenged(r)).toBe(true);
    expect(callee).toMatchObject({ ok: true, exitCode: 0 });
    // Two channels, one per leg, in one bridge: alice's runs Dial(), bob's is the dialled leg.
    const a = during.find((c) => c.endpoint === 'alice');
    const b = during.find((c) => c.endpoint === 'bob');
    expect(a).toMatchObject({ application: 'Dial', data: 'PJSIP/bob,30', exten: 'bob', state: 'Up' });
    expect(b).toMatchObject({ application: 'AppDial', state: 'Up' });
    expect(a!.bridgeId).not.toBe('');
    expect(b!.bridgeId).toBe(a!.bridgeId);

    if (canCapture) {
      const invites = trace!.find({ method: 'INVITE', from: 'alice', to: 'pbx' });
      const toBob = trace!.first({ method: 'INVITE', from: 'pbx', to: 'bob' })!;
      expect(toBob).toBeDefined();
      const fromAlice = invites[invites.length - 1];
      expect(toBob.message.callId).not.toBe(fromAlice.message.callId);
      expect(toBob.message.fromTag).not.toBe(fromAlice.message.fromTag);
      // A new Via stack with only the PBX's own Via, and bob reached at his registered Contact.
      expect(toBob.message.vias).toHaveLength(1);
      expect(toBob.message.get('Via')).toContain(pbx.address);
      expect(toBob.message.kind === 'request' && toBob.message.uri?.raw).toBe(`sip:bob@${bob}:5060`);
      // alice's BYE ends her dialog; the PBX ends bob's with its own BYE in bob's dialog.
      expect(trace!.first({ method: 'BYE', from: 'pbx', to: 'bob' })?.message.callId).toBe(toBob.message.callId);
    }
    expect(await channelsWhere((c) => c.length === 0)).toEqual([]);
  });

  test('answer then hang up: Asterisk answers, and about 1 s later sends its own BYE, which alice answers', async () => {
    const { value: r, trace } = await captured(block, dir, parties(), async () => (await aliceCalls('601', [{ kind: 'awaitBye', timeoutMs: 5000 }])).wait());
    // The scenario waits for a BYE (not optional): success means Asterisk sent it.
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(seen(r)).toEqual(expect.arrayContaining(['received:200', 'sent:ACK', 'received:BYE', 'sent:200']));
    expect(seen(r)).not.toContain('sent:BYE');
    expect(challenged(r)).toBe(true);
    if (trace) {
      const ok = trace.first({ status: 200, from: 'pbx', where: isInvite })!;
      const ack = trace.first({ method: 'ACK', from: 'alice', after: ok })!;
      const bye = trace.first({ method: 'BYE', from: 'pbx' })!;
      expect(bye.message.callId).toBe(ok.message.callId);
      expect(bye.message.fromTag).toBe(ok.message.toTag);
      expect(bye.time - ack.time).toBeGreaterThan(0.8);
      expect(bye.time - ack.time).toBeLessThan(3);
    }
  });

  test('music on hold: the call is answered and stays up on MusicOnHold (the tone sipwright provides) until the caller hangs up', async () => {
    const call = await aliceCalls('602', holdThenBye(1200));
    const during = await channelsWhere((c) => c.some((x) => x.application === 'MusicOnHold'));
    const r = await call.wait();
    // Without files for the class, MusicOnHold() fails at once and Asterisk hangs up: the scenario would get a BYE it does not expect.
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(challenged(r)).toBe(true);
    expect(during).toEqual([expect.objectContaining({ endpoint: 'alice', exten: '602', application: 'MusicOnHold', data: 'default', state: 'Up' })]);
    expect(await pbx.rx('moh show classes')).toMatch(/Class: default[\s\S]*Mode: files/);
    expect(await pbx.rx('moh show files')).toContain('sipwright-tone');
  });

  test('park: dialling 700 parks the caller on the first space (701) until it hangs up', async () => {
    const call = await aliceCalls('700', holdThenBye(1200));
    const parked = await until(() => pbx.rx('parking show default'), (t) => /Space\s*:\s*701/.test(t), 4000);
    const r = await call.wait();
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(challenged(r)).toBe(true);
    expect(parked).toMatch(/Space\s*:\s*701\s*\n\s*Channel\s*:\s*PJSIP\/alice-/);
    // The caller's BYE ends the parked call: the space is free again.
    expect(await until(() => pbx.rx('parking show default'), (t) => !/PJSIP\/alice-/.test(t), 4000)).toMatch(/Parked Calls\s*-+\s*\(none\)/);
  });

  test('a config Asterisk refuses fails the start with Asterisk\'s own words, and leaves no container', async () => {
    const before = ourContainers().length;
    const broken = new Asterisk(block.allocateHost()).withConfig('modules.conf', 'require => no_such_module.so').withRuntime('container');
    await expect(broken.start()).rejects.toThrow(ProcessStartError);
    await expect(broken.start()).rejects.toThrow(/asterisk@.*did not start[\s\S]*Failed to load module no_such_module\.so - Required/);
    expect(ourContainers()).toHaveLength(before);
  }, 30_000);

  test('stop() ends Asterisk and removes its container', async () => {
    expect(pbx.running).toBe(true);
    expect(ourContainers()).toHaveLength(1);
    await pbx.stop();
    expect(pbx.running).toBe(false);
    expect(ourContainers()).toEqual([]);
    await pbx.stop(); // twice is fine
  });
});
