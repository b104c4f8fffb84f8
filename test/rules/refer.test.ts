import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const call = () => flow().invite('alice', 'bob', { callId: 'orig', fromTag: 'alicetag1' }).reply(200, { toTag: 'bobtag11' }).ack();
const refer = (headers: Record<string, string | null> = {}) => call().inDialog('REFER', 'alice', { headers: { 'Refer-To': '<sip:carol@carol.test>', ...headers } });
const notify = (body = 'SIP/2.0 100 Trying', state = 'active;expires=60', extra: Record<string, string> = {}) =>
  ({ body, contentType: 'message/sipfrag', headers: { Event: 'refer', 'Subscription-State': state, ...extra } });

describe('REF and RPL rules', () => {
  pair('REF-01', ['a REFER without Refer-To', () => refer({ 'Refer-To': null }).trace(), 3], ['one Refer-To', () => refer().trace()]);
  pair('REF-02', ['NOTIFY after a REFER answered 403', () => refer().reply(403).inDialog('NOTIFY', 'bob', notify()).trace(), 4], ['NOTIFY after 202', () => refer().reply(202).inDialog('NOTIFY', 'bob', notify()).trace()]);
  pair('REF-03', ['a refer NOTIFY with a text/plain body', () => refer().reply(202).inDialog('NOTIFY', 'bob', { ...notify(), contentType: 'text/plain' }).trace(), 5],
    ['a sipfrag status line', () => refer().reply(202).inDialog('NOTIFY', 'bob', notify()).trace()]);
  pair('REF-04', ['no NOTIFY after the 202', () => refer().at(1).reply(202).at(1.1).request('OPTIONS', 'carol', 'dave').at(60).trace(), 4], ['a NOTIFY at once', () => refer().at(1).reply(202).at(1.1).inDialog('NOTIFY', 'bob', notify()).at(1.2).trace()]);
  pair('REF-05', ['a final sipfrag with an active subscription', () => refer().reply(202).inDialog('NOTIFY', 'bob', notify('SIP/2.0 200 OK')).trace(), 5],
    ['terminated with the final status', () => refer().reply(202).inDialog('NOTIFY', 'bob', notify('SIP/2.0 200 OK', 'terminated;reason=noresource')).trace()]);
  const two = (id?: string) => refer().reply(202).inDialog('REFER', 'alice', { headers: { 'Refer-To': '<sip:dave@dave.test>' } }).reply(202)
    .inDialog('NOTIFY', 'bob', notify('SIP/2.0 100 Trying', 'active;expires=60', id ? { Event: `refer;id=${id}` } : {})).trace();
  pair('REF-06', ['a NOTIFY without id after two REFERs', () => two(), 7], ['id naming the REFER CSeq', () => two('3')]);
  pair('REF-07', ['a NOTIFY although Refer-Sub: false was honoured', () => refer({ 'Refer-Sub': 'false' }).reply(202, { headers: { 'Refer-Sub': 'false' } }).inDialog('NOTIFY', 'bob', notify()).trace(), 5],
    ['no NOTIFY', () => refer({ 'Refer-Sub': 'false' }).reply(202, { headers: { 'Refer-Sub': 'false' } }).trace()]);
  pair('REF-08', ['a REFER without Contact', () => flow().request('REFER', 'alice', 'bob', { contact: null, headers: { 'Refer-To': '<sip:carol@carol.test>' } }).trace(), 0],
    ['a REFER with Contact', () => flow().request('REFER', 'alice', 'bob', { headers: { 'Refer-To': '<sip:carol@carol.test>' } }).trace()]);
  const transfer = (replaces?: string) => refer({ 'Refer-To': '<sip:carol@carol.test?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>' }).reply(202)
    .invite('bob', 'carol', { headers: replaces ? { Replaces: replaces } : {} }).trace();
  pair('REF-09', ['the transferee INVITE without Replaces', () => transfer(), 5], ['Replaces carried over', () => transfer('abc;to-tag=1;from-tag=2')]);
  pair('RPL-01', ['Replaces without from-tag', () => flow().invite('carol', 'bob', { headers: { Replaces: 'orig;to-tag=bobtag11' } }).trace(), 0], ['both tags', () => flow().invite('carol', 'bob', { headers: { Replaces: 'orig;to-tag=bobtag11;from-tag=alicetag1' } }).trace()]);
  pair('RPL-02', ['two Replaces headers', () => flow().invite('carol', 'bob', { headers: { Replaces: ['orig;to-tag=a;from-tag=b', 'orig;to-tag=c;from-tag=d'] } }).trace(), 0],
    ['one Replaces', () => flow().invite('carol', 'bob', { headers: { Replaces: 'orig;to-tag=a;from-tag=b' } }).trace()]);
  const replace = (r: string, status: number) => call().invite('carol', 'bob', { headers: { Replaces: r } }).reply(status).trace();
  pair('RPL-03', ['an unknown dialog replaced with 200', () => replace('orig;to-tag=nope;from-tag=alicetag1', 200), 4], ['the same answered 481', () => replace('orig;to-tag=nope;from-tag=alicetag1', 481)]);
  const early = (status: number) => flow().invite('alice', 'bob', { callId: 'orig', fromTag: 'alicetag1' }).reply(180, { toTag: 'bobtag11' })
    .invite('carol', 'bob', { headers: { Replaces: 'orig;to-tag=bobtag11;from-tag=alicetag1' } }).reply(status).trace();
  pair('RPL-04', ['an early dialog of the callee replaced', () => early(200), 3], ['answered 481', () => early(481)]);
  const replaced = (bye: boolean) => {
    const f = call().at(0).invite('carol', 'bob', { headers: { Replaces: 'orig;to-tag=bobtag11;from-tag=alicetag1' } }).at(10).reply(200).at(10.1);
    if (bye) f.send('bob', 'alice', `BYE sip:alice@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKbye99\r\nMax-Forwards: 70\r\nFrom: <sip:bob@bob.test>;tag=bobtag11\r\nTo: <sip:alice@alice.test>;tag=alicetag1\r\nCall-ID: orig\r\nCSeq: 101 BYE\r\n\r\n`, { at: 10.2 });
    return f.request('OPTIONS', 'carol', 'dave').at(60).trace();
  };
  pair('RPL-05', ['the replaced call left up', () => replaced(false), 4], ['the replaced call ended with BYE', () => replaced(true)]);
});
