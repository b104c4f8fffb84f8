/**
 * The Asterisk driver's protocol options reach the wire (real Asterisk 22 in a container): withT1 sets the
 * retransmission interval of its 2xx to an INVITE, with100rel('required') refuses an INVITE without 100rel,
 * and forced session timers put Session-Expires in its 2xx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Asterisk, type StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { scenario, Sipp, type ScenarioBuilder } from '../../../drivers/sipp/index.js';
import { claimAddressBlock, type AddressBlock } from '../../../src/lab/address-block.js';
import type { TraceMessage } from '../../../src/trace/trace.js';
import { inDialogRequest, uacDialog } from '../../../src/ua/dialog.js';
import { sdpLines } from '../../../src/ua/sdp.js';
import { CALL_ID, contactLine, fromLine, MAX_FORWARDS, message, sdpBody, VIA, type Identity } from '../../../src/ua/sip-text.js';
import { caller, finals } from '../../support/ua.js';
import { ASTERISK_TAG, asteriskSkipReason, canCapture, captured, ourContainers, rtpPorts } from './support.js';

const skipReason = asteriskSkipReason();
const d = skipReason ? describe.skip : describe;
const DOMAIN = 'lab.test';
const ALICE = { user: 'alice', password: 'alice-opt-pw-1' };
const ALICE_ID: Identity = { user: ALICE.user, domain: DOMAIN };
const T1 = 100;
/** The echo feature. */
const ECHO = `sip:600@${DOMAIN}`;

/**
 * alice calls the echo with Supported: 100rel (so this PBX takes the INVITE; no `timer`), must be challenged,
 * takes the 200, and ACKs it only `ackAfterMs` later. The user-agent layer ACKs a 2xx at once, so this one
 * call is written here, from the layer's own message text.
 */
function lateAckCall(ackAfterMs: number): ScenarioBuilder {
  const from = fromLine(ALICE_ID);
  const invite = (auth: boolean) =>
    message(
      [`INVITE ${ECHO} SIP/2.0`, VIA, MAX_FORWARDS, from, `To: <${ECHO}>`, CALL_ID, 'CSeq: [cseq] INVITE', contactLine(ALICE.user), 'Supported: 100rel', ...(auth ? ['[authentication]'] : [])],
      sdpBody(sdpLines()),
    );
  // The ACK of the challenge: hop by hop, on the INVITE's branch and CSeq (RFC 3261 §17.1.1.3).
  const ackOfChallenge = message([`ACK ${ECHO} SIP/2.0`, '[last_Via:]', MAX_FORWARDS, from, '[last_To:]', CALL_ID, 'CSeq: [last_cseq_number] ACK']);
  const dialog = uacDialog(from, ECHO);
  return scenario('late-ack')
    .send(invite(false), { retrans: T1 })
    .recv({ response: 100, optional: true })
    .recv({ response: 401, auth: true })
    .send(ackOfChallenge)
    .send(invite(true), { retrans: T1 })
    .recv({ response: 100, optional: true })
    .recv({ response: 200, rrs: true })
    .pause(ackAfterMs)
    .send(inDialogRequest('ACK', dialog, { cseq: '[last_cseq_number]' }))
    .pause(100)
    .send(inDialogRequest('BYE', dialog), { retrans: T1 })
    .recv({ response: 200 });
}

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

  const sipp = (s: ScenarioBuilder) => new Sipp(s).withLocal(alice).withRemote(pbx.hostPort).withTimeout(6000).withLogDir(dir).withAuth(ALICE.user, ALICE.password);
  const parties = () => ({ [pbx.address]: 'pbx', [alice]: 'alice' });

  test('the endpoint carries the options as Asterisk reads them (forced session timers show as "always")', async () => {
    const ep = await pbx.rx('pjsip show endpoint alice');
    expect(ep).toMatch(/^\s*100rel\s*:\s*required\s*$/m);
    expect(ep).toMatch(/^\s*timers\s*:\s*always\s*$/m);
    expect(ep).toMatch(/^\s*timers_sess_expires\s*:\s*300\s*$/m);
    expect(ep).toMatch(/^\s*timers_min_se\s*:\s*120\s*$/m);
  });

  (canCapture ? test : test.skip)(`withT1(${T1}): an unacknowledged 2xx to an INVITE is retransmitted after T1, 2·T1, 4·T1 (RFC 3261 §13.3.1.4)`, async () => {
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(lateAckCall(1000)).run());
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
    // Turned down is what this call expects: the failure is ACKed and the call ends well.
    const s = caller({ uri: ECHO, identity: ALICE_ID, canAuth: true, t1Ms: T1, options: { expect: 'reject' }, steps: [] });
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(s).run());
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    // Challenged first, then refused: the UA would take any failure, so which ones came is read from what it received.
    expect(finals(r)).toEqual([401, 421]);
    const refused = trace!.first({ status: 421, from: 'pbx' })!;
    expect(refused.message.get('Require')).toBe('100rel');
    expect(trace!.find({ status: 200, from: 'pbx' })).toEqual([]);
  });

  (canCapture ? test : test.skip)('forced session timers: the 2xx carries Session-Expires 300 with the PBX as refresher, to a caller without timer support (RFC 4028 §9)', async () => {
    // Supported: 100rel, so this PBX takes the INVITE; no `timer`.
    const call = caller({ uri: ECHO, identity: ALICE_ID, canAuth: true, t1Ms: T1, options: { reliable: 'supported' } });
    const { value: r, trace } = await captured(block, dir, parties(), () => sipp(call).run());
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(finals(r)).toEqual([401, 200, 200]);
    const ok = trace!.first({ status: 200, from: 'pbx', where: (m) => m.message.cseq?.method === 'INVITE' })!;
    expect(ok.message.get('Session-Expires')).toMatch(/^300;\s*refresher=uas$/);
  });
});
