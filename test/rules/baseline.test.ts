import { runRules } from '../../src/rules/index.js';
import { flow, sdp } from '../support/flow.js';

/** A correct call through a record-routing proxy, reused by the area tests as their "silent" ladder. */
export function cleanProxiedCall() {
  return flow()
    .invite('alice', 'proxy', { uri: 'sip:bob@bob.test', body: sdp() })
    .forward('bob', { recordRoute: true })
    .reply(100, { to: 0 })
    .reply(100, { to: 1 })
    .reply(180, { to: 1 })
    .forward('alice')
    .reply(200, { to: 1, body: sdp({ owner: 'bob', ip: '127.0.0.2', media: ['m=audio 5000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000'] }) })
    .forward('alice')
    .ack({ invite: 0 })
    .forward('bob')
    .bye('alice')
    .forward('bob')
    .reply(200)
    .forward('alice');
}

test('a clean call through a record-routing proxy gives no finding at all', () => {
  const out = runRules(cleanProxiedCall().trace());
  expect(out.map((x) => `${x.rule} [${x.messages}] ${x.message}`)).toEqual([]);
});

test('a clean direct call with retransmissions at the right times gives no finding', () => {
  const f = flow()
    .invite('alice', 'bob', { body: sdp() }).at(0)
    .again(0, { at: 0.5 })
    .reply(180, { to: 0 }).at(0.7)
    .reply(200, { to: 0, body: sdp({ owner: 'bob', ip: '127.0.0.2' }) }).at(2)
    .again(3, { at: 2.5 })
    .ack({ invite: 0 }).at(2.55)
    .again(5, { at: 2.56 })
    .bye('bob').at(10)
    .reply(200).at(10.01);
  const out = runRules(f.trace());
  expect(out.map((x) => `${x.rule} [${x.messages}] ${x.message}`)).toEqual([]);
});
