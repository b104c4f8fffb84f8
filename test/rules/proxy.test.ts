import { flow } from '../support/flow.js';
import { findings, pair } from '../support/rules.js';

const inv = (opts = {}) => flow().invite('alice', 'proxy', { uri: 'sip:bob@bob.test', ...opts });
/** INVITE relayed to bob, 180 back to the proxy (#2). */
const ringing = () => inv().at(0).forward('bob').at(0.01).reply(180, { to: 1 }).at(0.1);
const fork = () => inv().at(0).forward('bob').at(0.01).forward('carol', { index: 0 }).at(0.02)
  .reply(180, { to: 1 }).at(0.1).forward('alice').at(0.11).reply(180, { to: 2 }).at(0.2).forward('alice').at(0.21);

describe('PRX rules', () => {
  pair('PRX-01', ['a relay that keeps Max-Forwards', () => inv().forward('bob', { edit: (t) => t.replace('Max-Forwards: 69', 'Max-Forwards: 70') }).trace(), 1], ['a relay that decrements it', () => inv().forward('bob').trace()]);
  pair('PRX-02', ['a request relayed with Max-Forwards 0', () => inv({ maxForwards: 0 }).forward('bob').trace(), 1], ['Max-Forwards 5 relayed', () => inv({ maxForwards: 5 }).forward('bob').trace()]);
  pair('PRX-03', ['a proxy Via without the cookie', () => inv().forward('bob', { branch: 'plainbranch' }).trace(), 1], ['a fresh RFC 3261 branch', () => inv().forward('bob').trace()]);
  pair('PRX-04', ['a response relayed with the proxy\'s Via on top', () => { const f = ringing(); return f.send('proxy', 'alice', f.msg(2).toString()).trace(); }, 3],
    ['the proxy\'s Via removed', () => ringing().forward('alice').trace()]);
  // PRX-05 and PRX-07 name the proxy's INVITE first (#1), not bob's 180 or carol's 603: the fault is the proxy's.
  pair('PRX-05', ['a 180 never relayed upstream', () => ringing().reply(200, { to: 1 }).at(2).forward('alice').at(2.01).trace(), 1], ['every 180 and 200 relayed', () => ringing().forward('alice').reply(200, { to: 1 }).at(1).forward('alice').at(1.01).trace()]);
  test('PRX-05 spares a provisional that raced a 2xx the proxy had already received on another branch', () => {
    // bob's 200 reaches the proxy first, carol's 180 1 ms later, and the 200 leaves upstream after both.
    const raced = () => inv().at(0).forward('bob').at(0.01).forward('carol', { index: 0 }).at(0.02)
      .reply(200, { to: 1 }).at(1).reply(180, { to: 2 }).at(1.001);
    expect(findings(raced().forward('alice', { index: 3 }).at(1.002).request('OPTIONS', 'carol', 'dave').at(5).trace(), 'PRX-05')).toEqual([]);
    // Or 1 ms after it (two TCP connections read by two processes): which came first inside the proxy, the wire can't say.
    const crossed = inv().at(0).forward('bob').at(0.01).forward('carol', { index: 0 }).at(0.02)
      .reply(180, { to: 2 }).at(1).reply(200, { to: 1 }).at(1.001).forward('alice', { index: 4 }).at(1.002).request('OPTIONS', 'carol', 'dave').at(5).trace();
    expect(findings(crossed, 'PRX-05')).toEqual([]);
    // The same 180 before any 2xx came in must still go upstream.
    const early = inv().at(0).forward('bob').at(0.01).forward('carol', { index: 0 }).at(0.02)
      .reply(180, { to: 2 }).at(0.5).reply(200, { to: 1 }).at(1).forward('alice', { index: 4 }).at(1.002).request('OPTIONS', 'carol', 'dave').at(5).trace();
    expect(findings(early, 'PRX-05').map((f) => f.messages)).toEqual([[2, 3]]);
  });
  pair('PRX-06', ['a 503 relayed as is', () => inv().forward('bob').reply(503).forward('alice').trace(), 3], ['500 upstream instead', () => inv().forward('bob').reply(503).reply(500, { to: 0 }).trace()]);
  pair('PRX-07', ['a 603 on one branch without CANCEL of the other', () => fork().reply(603, { to: 2 }).at(1).forward('alice').at(1.01).request('OPTIONS', 'carol', 'dave').at(5).trace(), 1],
    ['the other branch cancelled', () => fork().reply(603, { to: 2 }).at(1).cancel({ invite: 1 }).at(1.01).request('OPTIONS', 'carol', 'dave').at(5).trace()]);
  pair('PRX-08', ['a Record-Route without lr', () => inv().forward('bob', { edit: (t) => t.replace(/\r\n/, '\r\nRecord-Route: <sip:127.0.0.3:5060>\r\n') }).trace(), 1], ['a loose-routing Record-Route', () => inv().forward('bob', { recordRoute: true }).trace()]);
  pair('PRX-09', ['a proxy keeping its own top Route', () => inv({ headers: { Route: '<sip:127.0.0.3:5060;lr>' } }).forward('bob', { edit: (t) => t.replace('\r\nFrom:', '\r\nRoute: <sip:127.0.0.3:5060;lr>\r\nFrom:') }).trace(), 1],
    ['the own Route removed', () => inv({ headers: { Route: '<sip:127.0.0.3:5060;lr>' } }).forward('bob').trace()]);
  pair('PRX-12', ['a looped request relayed again', () => inv().forward('proxy2').forward('proxy').forward('bob').trace(), 3], ['the loop answered 482', () => inv().forward('proxy2').forward('proxy').reply(482).trace()]);
  pair('PRX-13', ['100 Trying for a relayed OPTIONS', () => flow().request('OPTIONS', 'alice', 'proxy').forward('bob').reply(100, { to: 0 }).trace(), 2], ['no 100 for OPTIONS', () => flow().request('OPTIONS', 'alice', 'proxy').forward('bob').reply(200).forward('alice').trace()]);
  pair('PRX-14', ['a relayed 180 with a rewritten To tag', () => ringing().forward('alice', { edit: (t) => t.replace(/(To: [^\r]*;tag=)[^\r;]*/, '$1rewritten') }).trace(), 3], ['the tag kept', () => ringing().forward('alice').trace()]);
  test('PRX-14 pairs a relayed final with the branch whose To tag it carries, whichever branch is looked at first', () => {
    // carol's branch (#1) is forked first; bob's 487 (#3) comes first and is the one relayed (#5). Paired on
    // status alone, carol's 487 (#4) would take the relayed copy and bob's tag look rewritten.
    const ended = (edit?: (t: string) => string) => inv().at(0).forward('carol').at(0.01).forward('bob', { index: 0 }).at(0.02)
      .reply(487, { to: 2 }).at(1).reply(487, { to: 1 }).at(1.001).forward('alice', { index: 3, ...(edit ? { edit } : {}) }).at(1.01).trace();
    expect(findings(ended(), 'PRX-14')).toEqual([]);
    // The same relay with a tag of neither branch is still a finding.
    expect(findings(ended((t) => t.replace(/(To: [^\r]*;tag=)[^\r;]*/, '$1rewritten')), 'PRX-14').length).toBe(1);
  });
  pair('PRX-15', ['a relayed 200 losing a Record-Route', () => inv().forward('bob', { recordRoute: true }).reply(200).forward('alice', { edit: (t) => t.replace(/Record-Route: [^\r]*\r\n/, '') }).trace(), 3],
    ['Record-Route passed on', () => inv().forward('bob', { recordRoute: true }).reply(200).forward('alice').trace()]);
  const forked407 = (both: boolean) => inv().forward('bob').forward('carol', { index: 0 })
    .reply(407, { to: 1, headers: { 'Proxy-Authenticate': 'Digest realm="b.test", nonce="nb"' } })
    .reply(407, { to: 2, headers: { 'Proxy-Authenticate': 'Digest realm="c.test", nonce="nc"' } })
    .reply(407, { to: 0, headers: { 'Proxy-Authenticate': both ? ['Digest realm="b.test", nonce="nb"', 'Digest realm="c.test", nonce="nc"'] : 'Digest realm="b.test", nonce="nb"' } }).trace();
  pair('PRX-16', ['an upstream 407 missing a branch\'s challenge', () => forked407(false), 5], ['both challenges aggregated', () => forked407(true)]);
  pair('PRX-17', ['a retransmission relayed on a new branch', () => inv().at(0).forward('bob', { branch: 'z9hG4bKout1' }).at(0.01).again(0, { at: 0.5 }).forward('bob', { index: 0, branch: 'z9hG4bKout2' }).at(0.51).trace(), 3],
    ['the same branch again', () => inv().at(0).forward('bob', { branch: 'z9hG4bKout1' }).at(0.01).again(0, { at: 0.5 }).forward('bob', { index: 0, branch: 'z9hG4bKout1' }).at(0.51).trace()]);
  pair('PRX-18', ['a host-name sent-by without received', () => flow().invite('alice', 'bob', { edit: (t) => t.replace('Via: SIP/2.0/UDP 127.0.0.1:5060', 'Via: SIP/2.0/UDP alice.test:5060') }).reply(100).trace(), 1],
    ['received added', () => flow().invite('alice', 'bob', { edit: (t) => t.replace('Via: SIP/2.0/UDP 127.0.0.1:5060', 'Via: SIP/2.0/UDP alice.test:5060') }).reply(100, { edit: (t) => t.replace('alice.test:5060', 'alice.test:5060;received=127.0.0.1') }).trace()]);
  const rport = (second: string) => flow()
    .request('OPTIONS', 'alice', 'bob', { edit: (t) => t.replace(/(branch=[^\r]*)/, '$1;rport') }).reply(200, { edit: (t) => t.replace(';rport', ';rport=5060;received=127.0.0.1') })
    .request('OPTIONS', 'alice', 'bob', { edit: (t) => t.replace(/(branch=[^\r]*)/, '$1;rport') }).reply(200, { edit: (t) => t.replace(';rport', second) }).trace();
  pair('PRX-19', ['rport filled without received', () => rport(';rport=5060'), 3], ['rport and received filled', () => rport(';rport=5060;received=127.0.0.1')]);
  const elsewhere = () => {
    const f = flow().invite('alice', 'bob', { transport: 'tcp' }).reply(180);
    const text = f.msg(1).toString();
    f.entries.splice(1, 1);
    return f.send('bob', '127.0.0.1:6000', text, { transport: 'tcp' }).request('OPTIONS', 'alice', 'bob', { transport: 'tcp' }).trace();
  };
  pair('PRX-20', ['a TCP response on another connection while the first stays open', elsewhere, 1],
    ['the response on the request\'s connection', () => flow().invite('alice', 'bob', { transport: 'tcp' }).reply(180).request('OPTIONS', 'alice', 'bob', { transport: 'tcp' }).trace()]);
});
