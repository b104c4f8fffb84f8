import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const timed = (se = '1800', extra: Record<string, string> = {}) => flow().invite('alice', 'bob', { headers: { Supported: 'timer', 'Session-Expires': se, ...extra } });
const ok = (se: string, extra: Record<string, string> = {}) => ({ headers: { 'Session-Expires': se, ...extra } });
const negotiated = (refresher: 'uac' | 'uas' = 'uac') => timed('90').at(0).reply(200, ok(`90;refresher=${refresher}`, refresher === 'uac' ? { Require: 'timer' } : {})).at(0.1).ack().at(0.2);
const expired = (refresher: 'uac' | 'uas') => negotiated(refresher).request('OPTIONS', 'carol', 'dave').at(200).trace();

describe('SES rules', () => {
  pair('SES-01', ['Session-Expires 60', () => timed('60').trace(), 0], ['Session-Expires 1800', () => timed('1800').trace()]);
  pair('SES-02', ['Session-Expires below Min-SE', () => timed('100', { 'Min-SE': '200' }).trace(), 0], ['Session-Expires above Min-SE', () => timed('1800', { 'Min-SE': '90' }).trace()]);
  pair('SES-03', ['422 without Min-SE', () => timed('100').reply(422).trace(), 1], ['422 with Min-SE', () => timed('100').reply(422, { headers: { 'Min-SE': '1800' } }).trace()]);
  const retried = (se: string) => {
    const f = timed('100').reply(422, { headers: { 'Min-SE': '1800' } }).ack();
    const callId = f.msg(0).callId!;
    const fromTag = f.msg(0).fromTag!;
    return f.invite('alice', 'bob', { callId, fromTag, cseq: 2, headers: { Supported: 'timer', 'Session-Expires': se, 'Min-SE': '1800' } }).trace();
  };
  pair('SES-04', ['a retry still asking 100 s', () => retried('100'), 3], ['a retry asking 1800 s', () => retried('1800')]);
  pair('SES-05', ['a proxy raising Session-Expires', () => flow().invite('alice', 'proxy', { headers: { 'Session-Expires': '1800' } }).forward('bob', { edit: (t) => t.replace('Session-Expires: 1800', 'Session-Expires: 3600') }).trace(), 1],
    ['a proxy lowering it', () => flow().invite('alice', 'proxy', { headers: { 'Session-Expires': '1800' } }).forward('bob', { edit: (t) => t.replace('Session-Expires: 1800', 'Session-Expires: 900') }).trace()]);
  pair('SES-06', ['a 200 without refresher', () => timed().reply(200, ok('1800')).trace(), 1], ['refresher=uas', () => timed().reply(200, ok('1800;refresher=uas')).trace()]);
  pair('SES-07', ['refresher=uac without Require: timer', () => timed().reply(200, ok('1800;refresher=uac')).trace(), 1], ['with Require: timer', () => timed().reply(200, ok('1800;refresher=uac', { Require: 'timer' })).trace()]);
  pair('SES-08', ['a 200 raising the interval', () => timed('1800').reply(200, ok('3600;refresher=uas')).trace(), 1], ['the interval kept', () => timed('1800').reply(200, ok('1800;refresher=uas')).trace()]);
  pair('SES-09', ['refresher=uac for a UAC without timer support', () => flow().invite('alice', 'bob').reply(200, ok('1800;refresher=uac', { Require: 'timer' })).trace(), 1],
    ['refresher=uas for it', () => flow().invite('alice', 'bob').reply(200, ok('1800;refresher=uas')).trace()]);
  // Each names first a message of the side at fault: the refresher (SES-10), the other side (SES-11).
  pair('SES-10', ['no refresh within 90 s by alice, refresher=uac', () => expired('uac'), 0], ['a BYE before expiry', () => negotiated().bye('alice').at(60).trace()]);
  pair('SES-10', ['no refresh within 90 s by bob, refresher=uas', () => expired('uas'), 1], ['a refresh by bob', () => negotiated('uas').inDialog('UPDATE', 'bob', { headers: { 'Session-Expires': '90;refresher=uas' } }).at(45).reply(200, ok('90;refresher=uas')).at(45.1).bye('bob').at(100).trace()]);
  pair('SES-11', ['no BYE from bob after the session expired, refresher=uac', () => expired('uac'), 1], ['a BYE before expiry', () => negotiated().bye('bob').at(60).trace()]);
  pair('SES-11', ['no BYE from alice after the session expired, refresher=uas', () => expired('uas'), 0], ['a BYE from alice before expiry', () => negotiated('uas').bye('alice').at(60).trace()]);
  pair('SES-12', ['a refresh without Session-Expires', () => negotiated().inDialog('INVITE', 'alice').at(45).trace(), 3],
    ['a refresh repeating it', () => negotiated().inDialog('INVITE', 'alice', { headers: { 'Session-Expires': '90;refresher=uac', Supported: 'timer' } }).at(45).reply(200, ok('90;refresher=uac', { Require: 'timer' })).at(45.1).trace()]);
});
