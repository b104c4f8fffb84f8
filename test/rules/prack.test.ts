import { flow, sdp } from '../support/flow.js';
import { pair } from '../support/rules.js';

const rel = (rseq: number, extra: Record<string, string> = {}) => ({ headers: { Require: '100rel', RSeq: String(rseq), ...extra } });
const inv = (opts = {}) => flow().invite('alice', 'bob', { headers: { Supported: '100rel' }, ...opts });

describe('REL rules', () => {
  pair('REL-01', ['RSeq without Require: 100rel', () => inv().reply(183, { headers: { RSeq: '1' } }).trace(), 1], ['both headers', () => inv().reply(183, rel(1)).trace()]);
  pair('REL-02', ['a reliable 183 to an INVITE without 100rel', () => flow().invite('alice', 'bob').reply(183, rel(1)).trace(), 1], ['the INVITE supporting 100rel', () => inv().reply(183, rel(1)).trace()]);
  pair('REL-03', ['a reliable 100', () => inv().reply(100, { headers: { RSeq: '1' } }).trace(), 1], ['a plain 100', () => inv().reply(100).trace()]);
  pair('REL-04', ['RSeq 1 then 3', () => inv().reply(183, rel(1)).prack().reply(200).reply(180, { to: 0, ...rel(3) }).trace(), 4],
    ['RSeq 1 then 2', () => inv().reply(183, rel(1)).prack().reply(200).reply(180, { to: 0, ...rel(2) }).trace()]);
  pair('REL-05', ['a reliable 183 not retransmitted while the PRACK is late', () => inv().at(0).reply(183, rel(1)).at(0.1).prack().at(2).trace(), 1],
    ['a PRACK at once', () => inv().at(0).reply(183, rel(1)).at(0.1).prack().at(0.15).trace()]);
  pair('REL-06', ['a second reliable 1xx before the PRACK', () => inv().reply(183, rel(1)).reply(180, { to: 0, ...rel(2) }).trace(), 2],
    ['the PRACK in between', () => inv().reply(183, rel(1)).prack().reply(200).reply(180, { to: 0, ...rel(2) }).trace()]);
  pair('REL-07', ['a 200 before the PRACK of an SDP 183', () => inv({ body: sdp() }).reply(183, { ...rel(1), body: sdp({ owner: 'bob' }) }).reply(200, { to: 0 }).trace(), 2],
    ['the PRACK first', () => inv({ body: sdp() }).reply(183, { ...rel(1), body: sdp({ owner: 'bob' }) }).prack().reply(200).reply(200, { to: 0 }).trace()]);
  pair('REL-08', ['a never-PRACKed 183 and no 5xx', () => inv().at(0).reply(183, rel(1)).at(0.1).request('OPTIONS', 'carol', 'dave').at(50).trace(), 1],
    ['a 500 after 64·T1', () => inv().at(0).reply(183, rel(1)).at(0.1).reply(500, { to: 0 }).at(32.2).trace()]);
  pair('REL-09', ['RAck naming the wrong CSeq', () => inv().reply(183, rel(1)).prack({ rack: '1 2 INVITE' }).trace(), 2], ['RAck 1 1 INVITE', () => inv().reply(183, rel(1)).prack().trace()]);
  pair('REL-10', ['a PRACK with another To tag', () => inv().reply(183, rel(1)).prack({ toTag: 'othertag' }).trace(), 2], ['a PRACK in the early dialog', () => inv().reply(183, rel(1)).prack().trace()]);
  pair('REL-11', ['two PRACKs for RSeq 1', () => inv().reply(183, rel(1)).prack().reply(200).prack().trace(), 4],
    ['one PRACK per RSeq in order', () => inv().reply(183, rel(1)).prack().reply(200).reply(180, { to: 0, ...rel(2) }).prack().trace()]);
  pair('REL-12', ['a PRACK for an unknown RSeq accepted', () => inv().reply(183, rel(1)).prack({ rack: '9 1 INVITE' }).reply(200).trace(), 3],
    ['the same PRACK answered 481', () => inv().reply(183, rel(1)).prack({ rack: '9 1 INVITE' }).reply(481).trace()]);
  const forked = (second: boolean) => {
    const f = inv().at(0).reply(183, { toTag: 'tagAAAA1', ...rel(1) }).at(0.1).reply(183, { to: 0, toTag: 'tagBBBB1', from: 'carol', ...rel(1) }).at(0.2).prack({ toTag: 'tagAAAA1', rack: '1 1 INVITE' }).at(0.3);
    if (second) f.prack({ toTag: 'tagBBBB1', rack: '1 1 INVITE' }).at(0.4);
    return f.request('OPTIONS', 'carol', 'dave').at(5).trace();
  };
  pair('REL-13', ['one PRACK for two early dialogs', () => forked(false), 3], ['a PRACK in each', () => forked(true)]);
  pair('REL-14', ['an unreliable 180 to Require: 100rel', () => flow().invite('alice', 'bob', { headers: { Require: '100rel' } }).reply(180).trace(), 1],
    ['a reliable 180', () => flow().invite('alice', 'bob', { headers: { Require: '100rel' } }).reply(180, rel(1)).trace()]);
});
