import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const call = () => flow().invite('alice', 'bob', { fromTag: 'alicetag1' }).reply(180, { toTag: 'bobtag1' }).reply(200).ack();

describe('UAS rules', () => {
  pair('UAS-01', ['a response with another Call-ID', () => flow().invite('alice', 'bob').reply(180, { edit: (t) => t.replace(/Call-ID: [^\r]*/, 'Call-ID: other') }).trace(), 1], ['a faithful copy', () => flow().invite('alice', 'bob').reply(180).trace()]);
  pair('UAS-02', ['a 180 without To tag', () => flow().invite('alice', 'bob').reply(180, { toTag: null }).trace(), 1], ['a tagged 180', () => flow().invite('alice', 'bob').reply(180).trace()]);
  pair('UAS-03', ['a 200 with another tag than the 180', () => flow().invite('alice', 'bob').reply(180, { toTag: 'tagx1111' }).reply(200, { to: 0, toTag: 'tagy2222' }).trace(), 2],
    ['one tag for both', () => flow().invite('alice', 'bob').reply(180, { toTag: 'tagx1111' }).reply(200, { to: 0, toTag: 'tagx1111' }).trace()]);
  pair('UAS-04', ['405 without Allow', () => flow().request('OPTIONS', 'alice', 'bob').reply(405).trace(), 1], ['405 with Allow', () => flow().request('OPTIONS', 'alice', 'bob').reply(405, { headers: { Allow: 'INVITE, ACK, BYE' } }).trace()]);
  pair('UAS-05', ['420 without Unsupported', () => flow().invite('alice', 'bob', { headers: { Require: 'foo' } }).reply(420).trace(), 1],
    ['420 listing the required tag', () => flow().invite('alice', 'bob', { headers: { Require: 'foo' } }).reply(420, { headers: { Unsupported: 'foo' } }).trace()]);
  pair('UAS-06', ['415 without Accept', () => flow().request('MESSAGE', 'alice', 'bob', { body: 'hi' }).reply(415).trace(), 1], ['415 with Accept', () => flow().request('MESSAGE', 'alice', 'bob', { body: 'hi' }).reply(415, { headers: { Accept: 'text/plain' } }).trace()]);
  pair('UAS-07', ['401 without WWW-Authenticate', () => flow().register('alice').reply(401).trace(), 1], ['401 with a challenge', () => flow().register('alice').reply(401, { headers: { 'WWW-Authenticate': 'Digest realm="r", nonce="n"' } }).trace()]);
  pair('UAS-08', ['407 without Proxy-Authenticate', () => flow().invite('alice', 'proxy').reply(407).trace(), 1], ['407 with a challenge', () => flow().invite('alice', 'proxy').reply(407, { headers: { 'Proxy-Authenticate': 'Digest realm="r", nonce="n"' } }).trace()]);
  pair('UAS-09', ['423 without Min-Expires', () => flow().register('alice', 'registrar', { expires: 10 }).reply(423).trace(), 1], ['423 with Min-Expires', () => flow().register('alice', 'registrar', { expires: 10 }).reply(423, { headers: { 'Min-Expires': '3600' } }).trace()]);
  pair('UAS-10', ['100 Trying to OPTIONS', () => flow().request('OPTIONS', 'alice', 'bob').reply(100).reply(200).trace(), 1], ['OPTIONS answered 200 only', () => flow().request('OPTIONS', 'alice', 'bob').reply(200).trace()]);
  pair('UAS-11', ['a merged INVITE accepted', () => flow().invite('alice', 'bob', { callId: 'm1', fromTag: 'ft1111111' }).invite('alice', 'bob', { callId: 'm1', fromTag: 'ft1111111' }).reply(200, { to: 1 }).trace(), 2],
    ['a merged INVITE answered 482', () => flow().invite('alice', 'bob', { callId: 'm1', fromTag: 'ft1111111' }).invite('alice', 'bob', { callId: 'm1', fromTag: 'ft1111111' }).reply(482, { to: 1 }).trace()]);
  pair('UAS-12', ['a BYE with an unknown To tag accepted', () => call().bye('alice', { toTag: 'nosuchtag' }).reply(200).trace(), 5], ['the same BYE answered 481', () => call().bye('alice', { toTag: 'nosuchtag' }).reply(481).trace()]);
  pair('UAS-13', ['an INFO with a lower CSeq accepted', () => call().inDialog('INFO', 'alice', { cseq: 5 }).reply(200).inDialog('INFO', 'alice', { cseq: 3 }).reply(200).trace(), 7],
    ['the same INFO answered 500', () => call().inDialog('INFO', 'alice', { cseq: 5 }).reply(200).inDialog('INFO', 'alice', { cseq: 3 }).reply(500).trace()]);
  pair('UAS-14', ['302 without Contact', () => flow().invite('alice', 'bob').reply(302, { contact: null }).trace(), 1], ['302 with Contact', () => flow().invite('alice', 'bob').reply(302).trace()]);
  pair('UAS-15', ['a 180 after the 200', () => flow().invite('alice', 'bob').reply(200).reply(180, { to: 0 }).trace(), 2], ['180 then 200', () => flow().invite('alice', 'bob').reply(180).reply(200, { to: 0 }).trace()]);
});
