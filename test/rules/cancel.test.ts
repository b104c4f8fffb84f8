import { flow } from '../support/flow.js';
import { findings, pair } from '../support/rules.js';

const ringing = () => flow().invite('alice', 'bob').at(0).reply(180, { toTag: 'bobtag11' }).at(0.1);
const viaProxy = () => flow().invite('alice', 'proxy', { uri: 'sip:bob@bob.test' }).at(0).forward('bob').at(0.01).reply(100, { to: 0 }).at(0.02)
  .reply(180, { to: 1 }).at(0.1).forward('alice').at(0.11).cancel({ invite: 0 }).at(1).reply(200).at(1.01);

describe('CAN rules', () => {
  pair('CAN-01', ['a CANCEL with another CSeq number', () => ringing().cancel({ edit: (t) => t.replace('CSeq: 1 CANCEL', 'CSeq: 2 CANCEL') }).trace(), 2], ['a faithful CANCEL', () => ringing().cancel().trace()]);
  pair('CAN-02', ['a CANCEL with two Via values', () => ringing().cancel({ edit: (t) => t.replace(/(Via: [^\r]*\r\n)/, '$1Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKextra\r\n') }).trace(), 2],
    ['a CANCEL with the INVITE\'s top Via', () => ringing().cancel().trace()]);
  pair('CAN-03', ['a CANCEL dropping the INVITE\'s Route', () => flow().invite('alice', 'bob', { headers: { Route: '<sip:127.0.0.2:5060;lr>' } }).reply(180).cancel({ headers: { Route: null } }).trace(), 2],
    ['a CANCEL keeping it', () => flow().invite('alice', 'bob', { headers: { Route: '<sip:127.0.0.2:5060;lr>' } }).reply(180).cancel().trace()]);
  pair('CAN-04', ['a CANCEL before any provisional', () => flow().invite('alice', 'bob').cancel().trace(), 1], ['a CANCEL after 180', () => ringing().cancel().trace()]);
  // A forking proxy's CANCEL crossing the branch's 2xx: a no-op §9.1 only advises against, not the MUST NOT.
  test('CAN-04 is silent on a CANCEL after the 2xx, with no provisional', () => {
    expect(findings(flow().invite('alice', 'bob').reply(200, { toTag: 'bobtag11' }).cancel().trace(), 'CAN-04')).toEqual([]);
  });
  pair('CAN-05', ['a CANCEL aimed at an OPTIONS', () => flow().request('OPTIONS', 'alice', 'bob', { branch: 'z9hG4bKopt1', callId: 'o1' }).request('CANCEL', 'alice', 'bob', { branch: 'z9hG4bKopt1', callId: 'o1' }).trace(), 1],
    ['a CANCEL aimed at an INVITE', () => ringing().cancel().trace()]);
  pair('CAN-06', ['a CANCEL of a ringing INVITE answered 481', () => ringing().cancel().at(1).reply(481).at(1.01).trace(), 3],
    ['200 to the CANCEL and 487 to the INVITE', () => ringing().cancel().at(1).reply(200).at(1.01).reply(487, { to: 0 }).at(1.02).ack({ invite: 0 }).trace()]);
  pair('CAN-07', ['a 200 to CANCEL with another To tag', () => ringing().cancel().reply(200, { toTag: 'othertag' }).trace(), 3], ['the same tag', () => ringing().cancel().reply(200, { toTag: 'bobtag11' }).trace()]);
  // The proxy's own INVITE to bob first: the fault is the proxy's, not the CANCEL's sender.
  pair('CAN-08', ['a proxy not cancelling its ringing branch', () => viaProxy().reply(487, { to: 0 }).at(5).trace(), 1],
    ['a proxy cancelling it', () => viaProxy().cancel({ invite: 1 }).at(1.02).reply(200).at(1.03).trace()]);
});
