import { flow } from '../support/flow.js';
import { findings, pair } from '../support/rules.js';
import { cleanProxiedCall } from './baseline.test.js';

const call = () => flow().invite('alice', 'bob', { fromTag: 'alicetag1', branch: 'z9hG4bKinvite1' }).reply(180, { toTag: 'bobtag11' }).reply(200, { to: 0 }).ack();
const proxied = () => cleanProxiedCall();

describe('DLG rules', () => {
  pair('DLG-01', ['a 200 without Contact', () => flow().invite('alice', 'bob').reply(200, { contact: null }).trace(), 1], ['a 200 with Contact', () => flow().invite('alice', 'bob').reply(200).trace()]);
  pair('DLG-02', ['a 200 dropping the Record-Route', () => flow().invite('alice', 'bob', { headers: { 'Record-Route': '<sip:127.0.0.3:5060;lr>' } }).reply(200, { edit: (t) => t.replace(/Record-Route: [^\r]*\r\n/, '') }).trace(), 1],
    ['a 200 copying it', () => flow().invite('alice', 'bob', { headers: { 'Record-Route': '<sip:127.0.0.3:5060;lr>' } }).reply(200).trace()]);
  pair('DLG-03', ['a BYE without the route set', () => proxied().bye('alice', { headers: { Route: null } }).trace(), 14], ['a BYE through the record-routing proxy', () => proxied().trace()]);
  pair('DLG-04', ['a BYE to another URI than the Contact', () => call().bye('alice', { uri: 'sip:bob@elsewhere.test' }).trace(), 4], ['a BYE to the Contact', () => call().bye('alice').trace()]);
  pair('DLG-05', ['a caller BYE with the tags swapped', () => call().bye('alice', { edit: (t) => t.replace('tag=alicetag1', 'tag=TMP').replace('tag=bobtag11', 'tag=alicetag1').replace('tag=TMP', 'tag=bobtag11') }).trace(), 4],
    ['a caller BYE with its own tag in From', () => call().bye('alice').trace()]);
  pair('DLG-06', ['a BYE with a lower CSeq than the INFO before', () => call().inDialog('INFO', 'alice').reply(200).bye('alice', { cseq: 2 }).trace(), 6],
    ['CSeq growing by one', () => call().inDialog('INFO', 'alice').reply(200).bye('alice').trace()]);
  pair('DLG-07', ['an ACK of the 2xx on the INVITE\'s branch', () => flow().invite('alice', 'bob', { branch: 'z9hG4bKinvite1' }).reply(200).ack({ branch: 'z9hG4bKinvite1' }).trace(), 2],
    ['an ACK on a new branch', () => flow().invite('alice', 'bob').reply(200).ack().trace()]);
  pair('DLG-08', ['an ACK of a 486 with another CSeq number', () => flow().invite('alice', 'bob').reply(486).ack({ edit: (t) => t.replace('CSeq: 1 ACK', 'CSeq: 2 ACK') }).trace(), 2],
    ['an ACK copying the INVITE', () => flow().invite('alice', 'bob').reply(486).ack().trace()]);
  // Laid at the UAC's INVITE (#0), not at the UAS's unanswered 200: the verdict goes to the one at fault.
  pair('DLG-09', ['a 200 never ACKed', () => flow().invite('alice', 'bob').at(0).reply(200).at(1).bye('alice').at(10).trace(), 0],
    ['a 200 ACKed', () => flow().invite('alice', 'bob').at(0).reply(200).at(1).ack().at(1.01).bye('alice').at(10).trace()]);
  pair('DLG-10', ['a 200 not retransmitted while the ACK is late', () => flow().invite('alice', 'bob').at(0).reply(200).at(1).ack().at(3).trace(), 1],
    ['a 200 ACKed at once', () => flow().invite('alice', 'bob').at(0).reply(200).at(1).ack().at(1.05).trace()]);
  pair('DLG-11', ['a callee BYE on the early dialog', () => flow().invite('alice', 'bob').reply(180).bye('bob').trace(), 2], ['a callee BYE after 200 and ACK', () => call().bye('bob').trace()]);
  pair('DLG-12', ['a BYE on a confirmed dialog answered 481', () => call().bye('alice').reply(481).trace(), 5], ['the BYE answered 200', () => call().bye('alice').reply(200).trace()]);
  pair('DLG-13', ['a second re-INVITE while the first is unanswered', () => call().inDialog('INVITE', 'alice').inDialog('INVITE', 'alice').trace(), 5],
    ['a re-INVITE after the first completed', () => call().inDialog('INVITE', 'alice').reply(200).ack().inDialog('INVITE', 'alice').trace()]);
  pair('DLG-14', ['glare answered 200', () => call().inDialog('INVITE', 'alice').inDialog('INVITE', 'bob').reply(200, { to: 5 }).trace(), 6],
    ['glare answered 491', () => call().inDialog('INVITE', 'alice').inDialog('INVITE', 'bob').reply(491, { to: 5 }).trace()]);
  pair('DLG-15', ['the callee retrying 3 s after 491', () => call().inDialog('INVITE', 'bob').at(10).reply(491).at(10.01).ack({ invite: 4 }).at(10.02).inDialog('INVITE', 'bob').at(13).trace(), 7],
    ['the callee retrying after 1 s', () => call().inDialog('INVITE', 'bob').at(10).reply(491).at(10.01).ack({ invite: 4 }).at(10.02).inDialog('INVITE', 'bob').at(11).trace()]);
  const auth = 'Digest username="alice", realm="r", nonce="n", uri="sip:bob@bob.test", response="0123456789abcdef0123456789abcdef"';
  pair('DLG-16', ['an ACK without the INVITE\'s credentials', () => flow().invite('alice', 'bob', { headers: { 'Proxy-Authorization': auth } }).reply(200).ack().trace(), 2],
    ['an ACK with them', () => flow().invite('alice', 'bob', { headers: { 'Proxy-Authorization': auth } }).reply(200).ack({ headers: { 'Proxy-Authorization': auth } }).trace()]);
  test('DLG-16 compares the nonce, not the cnonce a UA picks afresh for the ACK (SIPp writes cnonce first)', () => {
    const digest = (cnonce: string) => `Digest username="alice",realm="r",cnonce="${cnonce}",nc=00000001,qop=auth,uri="sip:bob@bob.test",nonce="n",response="0123456789abcdef0123456789abcdef"`;
    const same = flow().invite('alice', 'bob', { headers: { Authorization: digest('11111111') } }).reply(200).ack({ headers: { Authorization: digest('22222222') } }).trace();
    expect(findings(same, 'DLG-16')).toEqual([]);
    const other = flow().invite('alice', 'bob', { headers: { Authorization: digest('11111111') } }).reply(200).ack({ headers: { Authorization: digest('11111111').replace('nonce="n"', 'nonce="m"') } }).trace();
    expect(findings(other, 'DLG-16')).toHaveLength(1);
  });
});
