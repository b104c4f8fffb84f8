import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const msg = (opts = {}) => flow().request('MESSAGE', 'alice', 'bob', { body: 'hello', ...opts });
const pub = (headers: Record<string, string | null> = {}, body: string | null = '<presence/>') =>
  flow().request('PUBLISH', 'alice', 'bob', { callId: 'p1', headers: { Event: 'presence', Expires: '3600', ...headers }, ...(body !== null ? { body, contentType: 'application/pidf+xml' } : {}) });
const etag = (t: string) => ({ headers: { 'SIP-ETag': t, Expires: '3600' } });

describe('MSG and PUB rules', () => {
  pair('MSG-01', ['a MESSAGE with Contact', () => msg({ contact: '<sip:alice@127.0.0.1:5060>' }).trace(), 0], ['no Contact', () => msg().trace()]);
  pair('MSG-02', ['a MESSAGE without body', () => flow().request('MESSAGE', 'alice', 'bob').trace(), 0], ['a text body', () => msg().trace()]);
  pair('MSG-03', ['a 200 with a body', () => msg().reply(200, { body: 'ok' }).trace(), 1], ['an empty 200', () => msg().reply(200).trace()]);
  pair('MSG-04', ['415 without Accept', () => msg().reply(415).trace(), 1], ['415 with Accept', () => msg().reply(415, { headers: { Accept: 'text/plain' } }).trace()]);
  pair('MSG-05', ['a 1400-byte MESSAGE over UDP', () => msg({ body: 'x'.repeat(1400) }).trace(), 0], ['a short one', () => msg().trace()]);
  pair('PUB-01', ['PUBLISH without Event', () => pub({ Event: null }).trace(), 0], ['with Event', () => pub().trace()]);
  pair('PUB-02', ['an initial PUBLISH without body', () => pub({}, null).trace(), 0], ['with a body', () => pub().trace()]);
  pair('PUB-03', ['a removal without SIP-If-Match', () => pub({ Expires: '0' }, null).trace(), 0], ['a removal naming the entity', () => pub({ Expires: '0', 'SIP-If-Match': 'e1' }, null).trace()]);
  pair('PUB-04', ['a 200 without SIP-ETag', () => pub().reply(200, { headers: { Expires: '3600' } }).trace(), 1], ['SIP-ETag and Expires', () => pub().reply(200, etag('e1')).trace()]);
  const unknown = (status: number) => pub().reply(200, etag('e1')).request('PUBLISH', 'alice', 'bob', { callId: 'p1', cseq: 2, headers: { Event: 'presence', 'SIP-If-Match': 'zz' } }).reply(status, status === 200 ? etag('e2') : {}).trace();
  pair('PUB-05', ['an unknown entity-tag accepted', () => unknown(200), 3], ['answered 412', () => unknown(412)]);
  pair('PUB-06', ['an initial PUBLISH without body accepted', () => pub({}, null).reply(200, etag('e1')).trace(), 1], ['answered 400', () => pub({}, null).reply(400).trace()]);
  const refresh = (tag: string) => pub().reply(200, etag('e1'))
    .request('PUBLISH', 'alice', 'bob', { callId: 'p1', cseq: 2, headers: { Event: 'presence', 'SIP-If-Match': 'e1' } }).reply(200, etag('e2'))
    .request('PUBLISH', 'alice', 'bob', { callId: 'p1', cseq: 3, headers: { Event: 'presence', 'SIP-If-Match': tag } }).trace();
  pair('PUB-07', ['a refresh with a stale entity-tag', () => refresh('e1'), 4], ['the latest entity-tag', () => refresh('e2')]);
});
