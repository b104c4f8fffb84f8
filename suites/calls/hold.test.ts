/**
 * Hold and resume by re-INVITE (exercise 4, "call details"): alice puts the call on hold with a re-INVITE
 * whose offer is sendonly (or inactive), then resumes it with sendrecv. On the wire: the answer to each offer
 * has the direction RFC 3264 §6.1 allows, and every new SDP of a party keeps its o= line except for a version
 * one higher (§8). Through a proxy the callee is a scripted UA, so the checks are on what each side received:
 * the proxy must relay the re-INVITEs in the dialog and the SDP untouched. On a PBX (its music-on-hold
 * extension) the PBX writes the answers itself.
 */
import { expect } from '@jest/globals';
import * as sdpTransform from 'sdp-transform';
import { describeLab } from '../../src/lab/fixture.js';
import type { TargetPlan } from '../../src/lab/target.js';
import type { Trace, TraceMessage } from '../../src/trace/trace.js';
import { answerTo, type Direction, type HoldDirection, type UserAgent } from '../../src/ua/index.js';

const HOLDS: HoldDirection[] = ['sendonly', 'inactive'];

interface Sdp {
  direction: Direction;
  origin: { username: string; sessionId: string; version: number; address: string };
}

function sdpOf(m: TraceMessage): Sdp {
  expect({ message: m.label, contentType: m.message.contentType }).toEqual({ message: m.label, contentType: 'application/sdp' });
  const s = sdpTransform.parse(m.message.bodyText);
  // No attribute means sendrecv (RFC 3264 §5.1); a media-level one overrides the session's.
  const direction = (s.media[0]?.direction ?? s.direction ?? 'sendrecv') as Direction;
  const o = s.origin!;
  return { direction, origin: { username: o.username, sessionId: String(o.sessionId), version: Number(o.sessionVersion), address: o.address } };
}

/**
 * The three offer/answer exchanges as they were delivered: offers on the hop into the answerer, answers (the
 * 200s) on the hop into alice; one per INVITE transaction that got a 200 (a challenged INVITE is left out).
 */
function exchanges(trace: Trace, offers: { from: string; to: string }, answers: { from: string; to: string }) {
  const answered = trace.find({ status: 200, cseqMethod: 'INVITE', ...answers, retransmissions: false });
  const byCseq = new Map(trace.find({ method: 'INVITE', ...offers, retransmissions: false }).map((m) => [m.message.cseq!.seq, m]));
  const pairs = answered.map((a) => ({ offer: byCseq.get(a.message.cseq!.seq), answer: a }));
  expect(pairs.map((p) => ({ cseq: p.answer.message.cseq!.seq, offerSeen: !!p.offer }))).toEqual(pairs.map((p) => ({ cseq: p.answer.message.cseq!.seq, offerSeen: true })));
  expect(pairs.length).toBe(3);
  return pairs.map((p) => ({ offer: sdpOf(p.offer!), answer: sdpOf(p.answer) }));
}

/** Each party's SDPs: same username, session id and address; the version one higher each time, as each one changed. */
function expectVersionsRiseByOne(sdps: Sdp[], who: string) {
  const [first] = sdps;
  const origin = ({ version, ...rest }: Sdp['origin']) => ({ ...rest, versionsAfterFirst: version - first.origin.version });
  expect({ who, origins: sdps.map((s) => origin(s.origin)) }).toEqual({ who, origins: sdps.map((_, i) => ({ ...origin(first.origin), versionsAfterFirst: i })) });
}

function expectHoldAndResume(trace: Trace, hold: HoldDirection, offers: { from: string; to: string }, answers: { from: string; to: string }) {
  const x = exchanges(trace, offers, answers);
  expect({ offered: x.map((e) => e.offer.direction) }).toEqual({ offered: ['sendrecv', hold, 'sendrecv'] });
  // The callee is not holding: sendonly is answered recvonly, inactive inactive, sendrecv sendrecv (§6.1).
  expect({ answered: x.map((e) => e.answer.direction) }).toEqual({ answered: ['sendrecv', answerTo(hold), 'sendrecv'] });
  expectVersionsRiseByOne(x.map((e) => e.offer), `${offers.to} received from alice`);
  expectVersionsRiseByOne(x.map((e) => e.answer), `alice received from ${answers.from}`);
}

/** alice's call, put on hold and resumed, each step `pauseMs` after the last. */
function holdAndResume(alice: UserAgent, callee: UserAgent | string, hold: HoldDirection, pauseMs: number) {
  return alice.call(callee).pause(pauseMs).reinvite({ direction: hold }).pause(pauseMs).reinvite({ direction: 'sendrecv' }).pause(pauseMs).bye().run();
}

describeLab('Hold and resume through the proxy (RFC 3264 §8.4)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  for (const hold of HOLDS) {
    lab.test(`hold with ${hold} then resume with sendrecv: both re-INVITEs cross the proxy in the dialog, each answer fits its offer, and every new SDP's o= version is one higher`, { rfc: ['RFC 3264 §6.1', 'RFC 3264 §8', 'RFC 3264 §8.4', 'RFC 6337 §5.3'] }, async () => {
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const answering = await bob.answer().start();
      await holdAndResume(lab.ua('alice', lab.account(0)), bob, hold, 100);
      await answering.settle();
      const trace = await lab.trace();
      // The re-INVITEs are requests of the dialog (bob's tag in To), relayed to bob by loose routing.
      const reinvites = trace.find({ method: 'INVITE', from: 'proxy', to: 'bob', retransmissions: false }).slice(1);
      expect(reinvites.map((m) => ({ cseq: m.message.cseq?.seq, inDialog: !!m.message.toTag }))).toEqual(reinvites.map((m) => ({ cseq: m.message.cseq?.seq, inDialog: true })));
      expectHoldAndResume(trace, hold, { from: 'proxy', to: 'bob' }, { from: 'proxy', to: 'alice' });
    });
  }
});

const declaresMoh = (t: TargetPlan) => (t.features.musicOnHold ? true : `target ${t.name} declares no music-on-hold extension (features.musicOnHold in the target file)`);

describeLab('Hold and resume with a PBX (RFC 3264 §8.4)', { roles: ['registrar', 'pbx'], targetParty: 'pbx' }, (lab) => {
  for (const hold of HOLDS) {
    lab.test(`hold with ${hold} then resume: the PBX answers ${answerTo(hold)} then sendrecv, its o= version one higher each time`, { rfc: ['RFC 3264 §6.1', 'RFC 3264 §8', 'RFC 3264 §8.4', 'RFC 6337 §5.3'], requires: declaresMoh }, async () => {
      // alice, authenticating as the PBX's endpoint, calls its music-on-hold extension.
      const r = await holdAndResume(lab.ua('alice', lab.account(0)), lab.plan.features.musicOnHold, hold, 300);
      const trace = await lab.trace();
      expect({ call: r.meaning, ok: r.ok }).toEqual({ call: r.meaning, ok: true });
      expectHoldAndResume(trace, hold, { from: 'alice', to: 'pbx' }, { from: 'pbx', to: 'alice' });
    });
  }
});
