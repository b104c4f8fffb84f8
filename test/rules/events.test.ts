import { flow } from '../support/flow.js';
import { pair } from '../support/rules.js';

const sub = (headers: Record<string, string | null> = {}) => flow().request('SUBSCRIBE', 'alice', 'bob', { headers: { Event: 'presence', Expires: '3600', ...headers } });
const ntf = (state = 'active;expires=3600', extra: Record<string, string | null> = {}) => ({ headers: { Event: 'presence', 'Subscription-State': state, ...extra } });
const active = () => sub().at(0).reply(200, { headers: { Expires: '3600' } }).at(0.1).inDialog('NOTIFY', 'bob', ntf()).at(0.2).reply(200).at(0.3);

describe('EVT rules', () => {
  pair('EVT-01', ['SUBSCRIBE without Event', () => sub({ Event: null }).trace(), 0], ['one Event', () => sub().trace()]);
  pair('EVT-02', ['SUBSCRIBE without Expires', () => sub({ Expires: null }).trace(), 0], ['with Expires', () => sub().trace()]);
  pair('EVT-03', ['a 200 granting more than asked', () => sub().reply(200, { headers: { Expires: '7200' } }).trace(), 1], ['a 200 granting less', () => sub().reply(200, { headers: { Expires: '600' } }).trace()]);
  pair('EVT-04', ['no NOTIFY after the 200', () => sub().at(0).reply(200, { headers: { Expires: '3600' } }).at(0.1).request('OPTIONS', 'carol', 'dave').at(60).trace(), 1], ['a NOTIFY at once', () => active().trace()]);
  pair('EVT-05', ['NOTIFY without Subscription-State', () => sub().reply(200, { headers: { Expires: '3600' } }).inDialog('NOTIFY', 'bob', ntf('x', { 'Subscription-State': null })).trace(), 2], ['with it', () => active().trace()]);
  pair('EVT-06', ['NOTIFY for another package', () => sub().reply(200, { headers: { Expires: '3600' } }).inDialog('NOTIFY', 'bob', ntf('active', { Event: 'dialog' })).trace(), 2], ['the subscribed package', () => active().trace()]);
  const unsub = (state: string) => sub({ Expires: '0' }).reply(200, { headers: { Expires: '0' } }).inDialog('NOTIFY', 'bob', ntf(state)).trace();
  pair('EVT-07', ['an unsubscribe answered by an active NOTIFY', () => unsub('active;expires=0'), 2], ['a terminated NOTIFY', () => unsub('terminated;reason=timeout')]);
  pair('EVT-08', ['a NOTIFY after termination', () => active().inDialog('NOTIFY', 'bob', ntf('terminated')).reply(200).inDialog('NOTIFY', 'bob', ntf()).trace(), 6], ['nothing after termination', () => active().inDialog('NOTIFY', 'bob', ntf('terminated')).reply(200).trace()]);
  pair('EVT-09', ['489 without Allow-Events', () => sub({ Event: 'foo' }).reply(489).trace(), 1], ['489 with Allow-Events', () => sub({ Event: 'foo' }).reply(489, { headers: { 'Allow-Events': 'presence' } }).trace()]);
  pair('EVT-10', ['a NOTIFY after the subscriber answered 481', () => sub().reply(200, { headers: { Expires: '3600' } }).inDialog('NOTIFY', 'bob', ntf()).reply(481).inDialog('NOTIFY', 'bob', ntf()).trace(), 4],
    ['silence after the 481', () => sub().reply(200, { headers: { Expires: '3600' } }).inDialog('NOTIFY', 'bob', ntf()).reply(481).trace()]);
  pair('EVT-11', ['202 to SUBSCRIBE', () => sub().reply(202, { headers: { Expires: '3600' } }).trace(), 1], ['200 to SUBSCRIBE', () => sub().reply(200, { headers: { Expires: '3600' } }).trace()]);
  pair('EVT-12', ['a NOTIFY without Contact', () => sub().reply(200, { headers: { Expires: '3600' } }).inDialog('NOTIFY', 'bob', { ...ntf(), contact: null }).trace(), 2], ['Contacts everywhere', () => active().trace()]);
});
