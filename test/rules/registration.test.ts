import { flow, type RequestOptions } from '../support/flow.js';
import { pair } from '../support/rules.js';

const reg = (opts: RequestOptions & { expires?: number } = {}) => flow().register('alice', 'registrar', { callId: 'reg1', ...opts });
const OB = '<sip:alice@127.0.0.1:5060>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
const bound = '<sip:alice@127.0.0.1:5060>;expires=3600';

describe('REG, PTH and OB rules', () => {
  pair('REG-01', ['a REGISTER Request-URI with a user', () => reg({ uri: 'sip:alice@registrar.test' }).trace(), 0], ['the registrar domain only', () => reg().trace()]);
  pair('REG-02', ['a tel: URI in To', () => reg({ edit: (t) => t.replace(/To: [^\r]*/, 'To: <tel:+15551234>') }).trace(), 0], ['a SIP address of record', () => reg().trace()]);
  pair('REG-03', ['a new Call-ID for the refresh', () => reg().reply(200, { contact: bound }).register('alice', 'registrar', { callId: 'reg2', cseq: 2 }).trace(), 2],
    ['the same Call-ID and CSeq + 1', () => reg().reply(200, { contact: bound }).register('alice', 'registrar', { callId: 'reg1', cseq: 2 }).trace()]);
  pair('REG-04', ['Contact: * with Expires 3600', () => reg({ contact: '*', expires: 3600 }).trace(), 0], ['Contact: * with Expires 0', () => reg({ contact: '*', expires: 0 }).trace()]);
  pair('REG-05', ['a 200 listing no binding', () => reg().reply(200).trace(), 1], ['the binding with its expiry', () => reg().reply(200, { contact: bound }).trace()]);
  pair('REG-06', ['a retry below Min-Expires', () => reg({ expires: 60 }).reply(423, { headers: { 'Min-Expires': '3600' } }).register('alice', 'registrar', { callId: 'reg1', cseq: 2, expires: 60 }).trace(), 2],
    ['a retry at Min-Expires', () => reg({ expires: 60 }).reply(423, { headers: { 'Min-Expires': '3600' } }).register('alice', 'registrar', { callId: 'reg1', cseq: 2, expires: 3600 }).trace()]);
  pair('REG-07', ['a refresh after the granted 60 s', () => reg().at(0).reply(200, { contact: '<sip:alice@127.0.0.1:5060>;expires=60' }).at(0.1).register('alice', 'registrar', { callId: 'reg1', cseq: 2 }).at(100).trace(), 2],
    ['a refresh at half of it', () => reg().at(0).reply(200, { contact: '<sip:alice@127.0.0.1:5060>;expires=60' }).at(0.1).register('alice', 'registrar', { callId: 'reg1', cseq: 2 }).at(30).trace()]);
  pair('REG-08', ['the registrar answering 407', () => reg({ uri: 'sip:127.0.0.6' }).reply(407, { headers: { 'Proxy-Authenticate': 'Digest realm="r", nonce="n"' } }).trace(), 1],
    ['the registrar answering 401', () => reg({ uri: 'sip:127.0.0.6' }).reply(401, { headers: { 'WWW-Authenticate': 'Digest realm="r", nonce="n"' } }).trace()]);
  pair('PTH-01', ['Path in an INVITE', () => flow().invite('alice', 'bob', { headers: { Path: '<sip:127.0.0.3:5060;lr>' } }).trace(), 0], ['Path in a REGISTER', () => reg({ headers: { Path: '<sip:127.0.0.3:5060;lr>' } }).trace()]);
  pair('PTH-02', ['a Path URI without lr', () => reg({ headers: { Path: '<sip:127.0.0.3:5060>' } }).trace(), 0], ['a loose Path URI', () => reg({ headers: { Path: '<sip:127.0.0.3:5060;lr>' } }).trace()]);
  const withPath = (echo: string) => reg({ headers: { Supported: 'path', Path: '<sip:127.0.0.3:5060;lr>' } }).reply(200, { contact: bound, headers: { Path: echo } }).trace();
  pair('PTH-03', ['a 200 echoing another Path', () => withPath('<sip:127.0.0.9:5060;lr>'), 1], ['the Path echoed', () => withPath('<sip:127.0.0.3:5060;lr>')]);
  const later = (route?: string) => reg({ headers: { Supported: 'path', Path: '<sip:127.0.0.3:5060;lr>' } }).reply(200, { contact: bound, headers: { Path: '<sip:127.0.0.3:5060;lr>' } })
    .invite('registrar', 'alice', { uri: 'sip:alice@127.0.0.1:5060', via: 'proxy', headers: route ? { Route: route } : {} }).trace();
  pair('PTH-04', ['a terminating INVITE ignoring the Path', () => later(), 2], ['the INVITE routed along the Path', () => later('<sip:127.0.0.3:5060;lr>')]);
  pair('PTH-05', ['Require: path accepted without Path in the 200', () => reg({ headers: { Require: 'path', Path: '<sip:127.0.0.3:5060;lr>' } }).reply(200, { contact: bound }).trace(), 1],
    ['the 200 carrying the Path', () => reg({ headers: { Require: 'path', Path: '<sip:127.0.0.3:5060;lr>' } }).reply(200, { contact: bound, headers: { Path: '<sip:127.0.0.3:5060;lr>' } }).trace()]);
  pair('OB-01', ['reg-id without Supported: outbound', () => reg({ contact: OB }).trace(), 0], ['with Supported: outbound', () => reg({ contact: OB, headers: { Supported: 'outbound' } }).trace()]);
  pair('OB-02', ['reg-id without +sip.instance', () => reg({ contact: '<sip:alice@127.0.0.1:5060>;reg-id=1', headers: { Supported: 'outbound' } }).trace(), 0], ['both parameters', () => reg({ contact: OB, headers: { Supported: 'outbound' } }).trace()]);
  pair('OB-03', ['a registrar supporting outbound without Require: outbound', () => reg({ contact: OB, headers: { Supported: 'outbound' } }).reply(200, { contact: OB, headers: { Supported: 'outbound' } }).trace(), 1],
    ['Require: outbound returned', () => reg({ contact: OB, headers: { Supported: 'outbound' } }).reply(200, { contact: OB, headers: { Require: 'outbound', Supported: 'outbound' } }).trace()]);
  pair('OB-04', ['an edge Path without ob', () => reg({ contact: OB, headers: { Supported: 'outbound', Path: '<sip:127.0.0.3:5060;lr>' } }).trace(), 0],
    ['an edge Path with ob', () => reg({ contact: OB, headers: { Supported: 'outbound', Path: '<sip:127.0.0.3:5060;lr;ob>' } }).trace()]);
  const outbound = (contact: string) => reg({ contact: OB, headers: { Supported: 'outbound' } }).reply(200, { contact: OB, headers: { Require: 'outbound' } }).invite('alice', 'bob', { contact }).trace();
  pair('OB-08', ['an INVITE Contact without ;ob', () => outbound('<sip:alice@127.0.0.1:5060>'), 2], ['a Contact with ;ob', () => outbound('<sip:alice@127.0.0.1:5060;ob>')]);
});
