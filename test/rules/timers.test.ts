import { flow, type Flow } from '../support/flow.js';
import { pair } from '../support/rules.js';
import { runRules } from '../../src/rules/index.js';

/** Copies of message i at the given times. */
function copies(f: Flow, i: number, times: number[]): Flow {
  for (const t of times) f.again(i, { at: t });
  return f;
}

const tail = (f: Flow, at: number) => f.request('OPTIONS', 'carol', 'dave').at(at);

describe('TMR rules', () => {
  pair('TMR-01', ['INVITE copies 0.5 s apart twice', () => copies(flow().invite('alice', 'bob').at(0), 0, [0.5, 1.0]).trace(), 2],
    ['INVITE copies at T1 then 2·T1', () => copies(flow().invite('alice', 'bob').at(0), 0, [0.5, 1.5]).trace()]);
  pair('TMR-02', ['an INVITE retransmitted 63.5 s after the first send', () => copies(flow().invite('alice', 'bob').at(0), 0, [0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5]).trace(), 7],
    ['the last copy at 31.5 s', () => copies(flow().invite('alice', 'bob').at(0), 0, [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]).trace()]);
  pair('TMR-03', ['an INVITE repeated over TCP', () => copies(flow().invite('alice', 'bob', { transport: 'tcp' }).at(0), 0, [0.5]).trace(), 1],
    ['one INVITE over TCP', () => flow().invite('alice', 'bob', { transport: 'tcp' }).reply(100).trace()]);
  pair('TMR-04', ['a retransmitted 486 not ACKed again', () => tail(flow().invite('alice', 'bob').at(0).reply(486).at(1).ack().at(1.01).again(1, { at: 1.5 }), 5).trace(), 0], // alice's INVITE: hers is the missing ACK
    ['each copy ACKed', () => tail(flow().invite('alice', 'bob').at(0).reply(486).at(1).ack().at(1.01).again(1, { at: 1.5 }).again(2, { at: 1.51 }), 5).trace()]);
  pair('TMR-05', ['OPTIONS copies 0.5 s apart twice', () => copies(flow().request('OPTIONS', 'alice', 'bob').at(0), 0, [0.5, 1.0]).trace(), 2],
    ['copies doubling from T1 and capped at T2', () => copies(flow().request('OPTIONS', 'alice', 'bob').at(0), 0, [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]).trace()]);
  pair('TMR-06', ['an OPTIONS retransmitted 43.5 s after the first', () => copies(flow().request('OPTIONS', 'alice', 'bob').at(0), 0, [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5, 35.5, 39.5, 43.5]).trace(), 13],
    ['the last copy at 31.5 s', () => copies(flow().request('OPTIONS', 'alice', 'bob').at(0), 0, [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]).trace()]);
  pair('TMR-07', ['a first response 2 s after the INVITE', () => flow().invite('alice', 'bob').at(0).reply(180).at(2).trace(), 1], ['100 Trying at once', () => flow().invite('alice', 'bob').at(0).reply(100).at(0.05).reply(180).at(2).trace()]);
  pair('TMR-08', ['a new tag after an INVITE retransmission', () => flow().invite('alice', 'bob').at(0).reply(180, { toTag: 'tagone11' }).at(0.1).again(0, { at: 0.5 }).reply(180, { to: 0, toTag: 'tagtwo22' }).at(0.51).trace(), 3],
    ['the 180 repeated', () => flow().invite('alice', 'bob').at(0).reply(180, { toTag: 'tagone11' }).at(0.1).again(0, { at: 0.5 }).again(1, { at: 0.51 }).trace()]);
  pair('TMR-09', ['a 486 not retransmitted while no ACK comes', () => flow().invite('alice', 'bob').at(0).reply(486).at(1).ack().at(3).trace(), 1],
    ['a 486 ACKed at once', () => flow().invite('alice', 'bob').at(0).reply(486).at(1).ack().at(1.05).trace()]);
  const g = [1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5];
  pair('TMR-10', ['a 486 still retransmitted after Timer H', () => copies(flow().invite('alice', 'bob').at(0).reply(486).at(1), 1, [...g, 36.5, 40.5, 44.5]).trace(), 14],
    ['retransmissions ending within 64·T1', () => copies(flow().invite('alice', 'bob').at(0).reply(486).at(1), 1, g).trace()]);
  pair('TMR-11', ['a response to an ACK', () => flow().invite('alice', 'bob').reply(486).ack().reply(200, { to: 2 }).trace(), 3], ['an ACK left unanswered', () => flow().invite('alice', 'bob').reply(486).ack().trace()]);
  pair('TMR-12', ['a retransmitted OPTIONS answered differently', () => flow().request('OPTIONS', 'alice', 'bob').at(0).reply(200, { toTag: 'tagone11' }).at(0.01).again(0, { at: 0.5 }).reply(200, { to: 0, toTag: 'tagtwo22' }).at(0.51).trace(), 3],
    ['the same 200 re-sent', () => flow().request('OPTIONS', 'alice', 'bob').at(0).reply(200, { toTag: 'tagone11' }).at(0.01).again(0, { at: 0.5 }).again(1, { at: 0.51 }).trace()]);
  pair('TMR-13', ['2xx copies 0.5 s apart twice', () => copies(flow().invite('alice', 'bob').at(0).reply(200).at(1), 1, [1.5, 2.0]).ack({ invite: 0 }).at(2.1).trace(), 3],
    ['2xx copies at T1 then 2·T1', () => copies(flow().invite('alice', 'bob').at(0).reply(200).at(1), 1, [1.5, 2.5]).ack({ invite: 0 }).at(2.6).trace()]);
  const proxied = () => flow().invite('alice', 'proxy', { uri: 'sip:bob@bob.test' }).at(0).forward('bob').at(0.01).reply(100, { to: 0 }).at(0.02).reply(180, { to: 1 }).at(1).forward('alice').at(1.01);
  pair('TMR-14', ['a proxy cancelling 30 s after the last 180', () => proxied().cancel({ invite: 1 }).at(31).trace(), 5], ['a proxy waiting past 3 minutes', () => proxied().cancel({ invite: 1 }).at(200).trace()]);
});

test('TMR-03 leaves a provisional a UAS sends again over TCP (RFC 3261 §13.3.1.1; a B2BUA whose forwarded leg rings again)', () => {
  const again = flow().invite('alice', 'bob', { transport: 'tcp' }).at(0).reply(180).at(0.1).again(1, { at: 0.2 }).trace();
  // The trace takes the copy for a retransmission (the same bytes), as it does an INVITE's.
  expect(again.messages.filter((m) => m.status === 180).map((m) => m.retransmission)).toEqual([false, true]);
  expect(runRules(again).filter((f) => f.rule === 'TMR-03')).toEqual([]);
});
