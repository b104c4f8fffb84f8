import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const PA = 'Digest realm="p.test", nonce="n1", opaque="o1"';
const cred = (nonce = 'n1', opaque = 'o1', realm = 'p.test') => `Digest username="alice", realm="${realm}", nonce="${nonce}", opaque="${opaque}", uri="sip:proxy@proxy.test", response="0123456789abcdef0123456789abcdef"`;
const challenged = (retry: Parameters<ReturnType<typeof flow>['invite']>[2]) => flow()
  .invite('alice', 'proxy', { callId: 'c1', fromTag: 'alicetag1' })
  .reply(407, { headers: { 'Proxy-Authenticate': PA } })
  .ack()
  .invite('alice', 'proxy', { callId: 'c1', fromTag: 'alicetag1', cseq: 2, ...retry })
  .trace();

describe('UAC rules', () => {
  pair('UAC-01', ['a branch without the magic cookie', () => flow().invite('alice', 'bob', { branch: 'abc123' }).trace(), 0], ['an RFC 3261 branch', () => flow().invite('alice', 'bob').trace()]);
  pair('UAC-02', ['a REGISTER reusing the branch of the previous one', () => flow().register('alice', 'registrar', { branch: 'z9hG4bKsame', callId: 'r1' }).reply(200).register('alice', 'registrar', { branch: 'z9hG4bKsame', callId: 'r1', cseq: 2 }).trace(), 2],
    ['two REGISTERs with their own branches', () => flow().register('alice', 'registrar', { callId: 'r1' }).reply(200).register('alice', 'registrar', { callId: 'r1', cseq: 2 }).trace()]);
  pair('UAC-03', ['the bare cookie as branch', () => flow().invite('alice', 'bob', { branch: 'z9hG4bK' }).trace(), 0], ['a full branch', () => flow().invite('alice', 'bob').trace()]);
  pair('UAC-04', ['an INVITE without From tag', () => flow().invite('alice', 'bob', { fromTag: null }).trace(), 0], ['a tagged From', () => flow().invite('alice', 'bob', { fromTag: 'a84b4c76e66710' }).trace()]);
  pair('UAC-05', ['a REGISTER with a To tag', () => flow().register('alice', 'registrar', { toTag: 'x1' }).trace(), 0], ['a REGISTER without', () => flow().register('alice').trace()]);
  pair('UAC-06', ['Max-Forwards 10 from the UA', () => flow().invite('alice', 'bob', { maxForwards: 10 }).trace(), 0], ['Max-Forwards 70', () => flow().invite('alice', 'bob').trace()]);
  // A proxy's own CANCEL is built from the INVITE it forwarded, Max-Forwards included.
  const proxyCancel = (mf: number) => flow().invite('alice', 'proxy', { uri: 'sip:bob@bob.test' }).forward('bob').reply(180, { toTag: 'bobtag11' })
    .cancel({ edit: (t) => t.replace('Max-Forwards: 70', `Max-Forwards: ${mf}`) }).trace();
  pair('UAC-06', ['a proxy CANCEL with a Max-Forwards of its own', () => proxyCancel(10), 3], ['a proxy CANCEL with its INVITE\'s Max-Forwards 69', () => proxyCancel(69)]);
  pair('UAC-07', ['an INVITE without Contact', () => flow().invite('alice', 'bob', { contact: null }).trace(), 0], ['one SIP Contact', () => flow().invite('alice', 'bob').trace()]);
  pair('UAC-08', ['a second dialog under the same Call-ID', () => flow().invite('alice', 'bob', { callId: 'same', fromTag: 'tagone111' }).reply(180).invite('alice', 'bob', { callId: 'same', fromTag: 'tagtwo222' }).trace(), 2],
    ['a new Call-ID for the second dialog', () => flow().invite('alice', 'bob', { callId: 'one', fromTag: 'tagone111' }).reply(180).invite('alice', 'bob', { callId: 'two', fromTag: 'tagtwo222' }).trace()]);
  pair('UAC-09', ['a response with two Via values reaching the UAC', () => flow().invite('alice', 'bob').reply(180, { edit: (t) => t.replace(/(Via: [^\r]*\r\n)/, '$1Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKzz\r\n') }).trace(), 1],
    ['one Via', () => flow().invite('alice', 'bob').reply(180).trace()]);
  pair('UAC-10', ['a retry after 407 without Proxy-Authorization', () => challenged({}), 3], ['a retry with credentials for the realm', () => challenged({ headers: { 'Proxy-Authorization': cred() } })]);
  pair('UAC-11', ['credentials with another nonce', () => challenged({ headers: { 'Proxy-Authorization': cred('n2') } }), 3], ['credentials echoing nonce and opaque', () => challenged({ headers: { 'Proxy-Authorization': cred() } })]);

  test('UAC-10 names the CSeq when the retry does not increment it', () => {
    const t = flow().invite('alice', 'proxy', { callId: 'c1', fromTag: 'alicetag1' }).reply(407, { headers: { 'Proxy-Authenticate': PA } }).ack()
      .invite('alice', 'proxy', { callId: 'c1', fromTag: 'alicetag1', cseq: 1, headers: { 'Proxy-Authorization': cred() } }).trace();
    expect(pairMessages(t, 'UAC-10')).toContain('CSeq 1, not higher than the challenged request\'s 1');
  });
});

import { findings } from '../support/rules.js';
function pairMessages(t: ReturnType<ReturnType<typeof flow>['trace']>, id: string): string {
  return findings(t, id).map((f) => f.message).join('\n');
}
