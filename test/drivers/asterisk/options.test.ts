/**
 * The Asterisk driver's protocol options reach the wire (real Asterisk 22 in a container): withT1 sets the
 * retransmission interval of its 2xx to an INVITE, with100rel('required') refuses an INVITE without 100rel,
 * and forced session timers put Session-Expires in its 2xx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { scenario, Sipp, withBody } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import type { TraceMessage } from '../../../src/trace/trace.js';
import { ASTERISK_TAG, asteriskSkipReason, canCapture, captured, ourContainers, rtpPorts } from './support.js';

const skipReason = asteriskSkipReason();
const d = skipReason ? describe.skip : describe;
const DOMAIN = 'lab.test';
const ALICE = { user: 'alice', password: 'alice-opt-pw-1' };
const T1 = 100;

const FROM = `From: <sip:alice@${DOMAIN}>;tag=[pid]SIPpTag00[call_number]`;
const invite = (to: string, cseq: number, auth: boolean, extra: string[] = []) =>
  withBody(
    [
      `INVITE sip:${to}@${DOMAIN} SIP/2.0`,
      'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport',
      'Max-Forwards: 70',
      FROM,
      `To: <sip:${to}@${DOMAIN}>`,
      'Call-ID: [call_id]',
      `CSeq: ${cseq} INVITE`,
      'Contact: <sip:alice@[local_ip]:[local_port]>',
      ...(auth ? ['[authentication]'] : []),
      ...extra,
    ],
    true,
  );
/** In-dialog requests (ACK of the 2xx, BYE): to the Contact of the 200, with its To tag. */
const inDialog = (to: string, method: string, cseq: number) =>
  withBody(
    [`${method} [next_url] SIP/2.0`, 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport', 'Max-Forwards: 70', FROM, `To: <sip:${to}@${DOMAIN}>[peer_tag_param]`, 'Call-ID: [call_id]', `CSeq: ${cseq} ${method}`],
    false,
  );

/** The ACK of a non-2xx final response: hop by hop, on the INVITE's branch, with the response's To tag. */
const ackOf = (to: string, cseq: number) =>
  withBody([`ACK sip:${to}@${DOMAIN} SIP/2.0`, '[last_Via:]', 'Max-Forwards: 70', FROM, '[last_To:]', 'Call-ID: [call_id]', `CSeq: ${cseq} ACK`], false);

d(`Asterisk protocol options on the wire (${skipReason ?? ASTERISK_TAG})`, () => {
  let block: AddressBlock;
  let dir: string;
  let pbx: StartedAsterisk;
  let alice: string;

  beforeAll(async () => {
    block = claimAddressBlock();
    dir = mkdtempSync(join(tmpdir(), 'sipwright-ast-opt-'));
    alice = block.allocateHost();
    pbx = await new Asterisk(block.allocateHost())
      .withDomain(DOMAIN)
      .withAccounts([ALICE])
      .withT1(T1)
      .with100rel('required')
      .withSessionTimers({ mode: 'forced', expires: 300, minSe: 120 })
      .withRtpPorts(...rtpPorts(block))
      .withRuntime('container')
      .start();
  }, 30_000);

  afterAll(async () => {
    await pbx?.stop();
    block?.release();
    rmSync(dir, { recursive: true, force: true });
    expect(ourContainers()).toEqual([]);
  });

  const sipp = (s: ReturnType<typeof scenario>, auth = true) => {
    const p = new Sipp(s).withLocal(alice).withRemote(pbx.hostPort).withTimeout(6000).withLogDir(dir);
    return auth ? p.withAuth(ALICE.user, ALICE.password) : p;
  };
  const parties = () => ({ [pbx.address]: 'pbx', [alice]: 'alice' });

  test('the endpoint carries the options as Asterisk reads them (forced session timers show as "always")', async () => {
    const ep = await pbx.rx('pjsip show endpoint alice');
    expect(ep).toMatch(/^\s*100rel\s*:\s*required\s*$/m);
    expect(ep).toMatch(/^\s*timers\s*:\s*always\s*$/m);
    expect(ep).toMatch(/^\s*timers_sess_expires\s*:\s*300\s*$/m);
    expect(ep).toMatch(/^\s*timers_min_se\s*:\s*120\s*$/m);
  });

  /**
   * alice calls the echo with `Supported` as given (100rel, so this PBX accepts the INVITE; no `timer`), answers
   * the challenge, takes the 200, and ACKs it only after `ackAfterMs`.
   */
  function answeredCall(ackAfterMs: number) {
    const supported = ['Supported: 100rel'];
    return scenario('answered')
      .send(invite('600', 1, false, supported))
      .recv({ response: 100, optional: true })
      .recv({ response: 401, auth: true })
      .send(ackOf('600', 1))
      .send(invite('600', 2, true, supported))
      .recv({ response: 100, optional: true })
      .recv({ response: 200, rrs: true })
      .pause(ackAfterMs)
      .send(inDialog('600', 'ACK', 2))
      .pause(100)
      .send(inDialog('600', 'BYE', 3))
      .recv({ response: 200 });
  }

  (canCapture ? test : test.skip)(`withT1(${T1}): an unacknowledged 2xx to an INVITE is retransmitted after T1, 2·T1, 4·T1 (RFC 3261 §13.3.1.4)`, async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(answeredCall(1000)).run());
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    const oks = trace!.find({ status: 200, from: 'pbx', where: (m) => m.message.cseq?.method === 'INVITE' });
    expect(oks.length).toBeGreaterThanOrEqual(4);
    const gaps = oks.slice(1, 4).map((m: TraceMessage, i) => Math.round((m.time - oks[i].time) * 1000));
    // The late ACK and the BYE were taken as in the dialog: the BYE got its 200.
    expect(trace!.first({ status: 200, from: 'pbx', where: (m) => m.message.cseq?.method === 'BYE' })).toBeDefined();
    // 100, 200 and 400 ms: far from the default T1's 500, 1000, 2000.
    expect(gaps[0]).toBeGreaterThanOrEqual(0.7 * T1);
    expect(gaps[0]).toBeLessThan(1.8 * T1);
    expect(gaps[1]).toBeGreaterThanOrEqual(1.4 * T1);
    expect(gaps[1]).toBeLessThan(3.5 * T1);
    expect(gaps[2]).toBeGreaterThanOrEqual(2.8 * T1);
    expect(gaps[2]).toBeLessThan(7 * T1);
  });

  (canCapture ? test : test.skip)('with100rel("required"): an INVITE that does not support 100rel gets 421 with Require: 100rel (RFC 3262 §3)', async () => {
    const s = scenario('no-100rel')
      .send(invite('600', 1, false))
      .recv({ response: 100, optional: true })
      .recv({ response: 401, auth: true })
      .send(ackOf('600', 1))
      .send(invite('600', 2, true))
      .recv({ response: 100, optional: true })
      .recv({ response: 421 })
      .send(ackOf('600', 2));
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(s).run());
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    const refused = trace!.first({ status: 421, from: 'pbx' })!;
    expect(refused.message.get('Require')).toBe('100rel');
    expect(trace!.find({ status: 200, from: 'pbx' })).toEqual([]);
  });

  (canCapture ? test : test.skip)('forced session timers: the 2xx carries Session-Expires 300 with the PBX as refresher, to a caller without timer support (RFC 4028 §9)', async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(answeredCall(0)).run());
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    const ok = trace!.first({ status: 200, from: 'pbx', where: (m) => m.message.cseq?.method === 'INVITE' })!;
    expect(ok.message.get('Session-Expires')).toMatch(/^300;\s*refresher=uas$/);
  });
});
