import { flow, sdp } from '../support/flow.js';
import { runRules } from '../../src/rules/index.js';
import { pair } from '../support/rules.js';

const offer = (media?: string[], extra?: string[]) => sdp({ owner: 'alice', media, extra });
const answer = (media?: string[], extra?: string[], version = 1) => sdp({ owner: 'bob', ip: '127.0.0.2', media, extra, version });
const AUDIO = ['m=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000'];
const exchange = (o: string, a: string | undefined) => flow().invite('alice', 'bob', { body: o }).reply(200, a === undefined ? {} : { body: a }).ack().trace();
const reinvite = (second: string) => flow().invite('alice', 'bob', { body: offer(['m=audio 4000 RTP/AVP 0', 'm=video 0 RTP/AVP 31']) })
  .reply(200, { body: answer(['m=audio 5000 RTP/AVP 0', 'm=video 0 RTP/AVP 31']) }).ack().inDialog('INVITE', 'alice', { body: second }).trace();

describe('OA rules', () => {
  pair('OA-01', ['an answer with an extra m-line', () => exchange(offer(AUDIO), answer([...AUDIO, 'm=video 5002 RTP/AVP 31'])), 1], ['one m-line each', () => exchange(offer(AUDIO), answer(AUDIO))]);
  pair('OA-02', ['a port-0 stream answered with a port', () => exchange(offer([...AUDIO, 'm=video 0 RTP/AVP 31']), answer([...AUDIO, 'm=video 5002 RTP/AVP 31'])), 1],
    ['port 0 answered with port 0', () => exchange(offer([...AUDIO, 'm=video 0 RTP/AVP 31']), answer([...AUDIO, 'm=video 0 RTP/AVP 31']))]);
  pair('OA-03', ['an answer adding G.729', () => exchange(offer(AUDIO), answer(['m=audio 5000 RTP/AVP 0 18'])), 1], ['a subset of the offer', () => exchange(offer(AUDIO), answer(['m=audio 5000 RTP/AVP 8']))]);
  pair('OA-04', ['telephone-event renumbered', () => exchange(offer(AUDIO), answer(['m=audio 5000 RTP/AVP 0 100', 'a=rtpmap:100 telephone-event/8000'])), 1], ['the offer\'s numbers', () => exchange(offer(AUDIO), answer(AUDIO))]);
  pair('OA-05', ['sendonly answered sendrecv', () => exchange(offer([...AUDIO, 'a=sendonly']), answer(AUDIO)), 1], ['sendonly answered recvonly', () => exchange(offer([...AUDIO, 'a=sendonly']), answer([...AUDIO, 'a=recvonly']))]);
  pair('OA-06', ['a changed re-offer two versions up', () => reinvite(sdp({ owner: 'alice', version: 3, media: ['m=audio 4002 RTP/AVP 0', 'm=video 0 RTP/AVP 31'] })), 3],
    ['one version up', () => reinvite(sdp({ owner: 'alice', version: 2, media: ['m=audio 4002 RTP/AVP 0', 'm=video 0 RTP/AVP 31'] }))]);
  pair('OA-07', ['a re-offer dropping the video m-line', () => reinvite(sdp({ owner: 'alice', version: 2, media: ['m=audio 4002 RTP/AVP 0'] })), 3],
    ['the video kept at port 0', () => reinvite(sdp({ owner: 'alice', version: 2, media: ['m=audio 4002 RTP/AVP 0', 'm=video 0 RTP/AVP 31'] }))]);
  const hold = (media: string[]) => flow().invite('alice', 'bob', { body: offer(['m=audio 4000 RTP/AVP 0']) }).reply(200, { body: answer(['m=audio 5000 RTP/AVP 0']) }).ack()
    .inDialog('INVITE', 'alice', { body: sdp({ owner: 'alice', version: 2, ip: '0.0.0.0', media }) }).trace();
  pair('OA-08', ['hold by c=0.0.0.0 alone', () => hold(['m=audio 4000 RTP/AVP 0']), 3], ['hold with a=sendonly', () => hold(['m=audio 4000 RTP/AVP 0', 'a=sendonly'])]);
  pair('OA-09', ['a 200 without the answer', () => exchange(offer(AUDIO), undefined), 1], ['the answer in the 200', () => exchange(offer(AUDIO), answer(AUDIO))]);
  pair('OA-10', ['an ACK carrying SDP after the exchange', () => flow().invite('alice', 'bob', { body: offer(AUDIO) }).reply(200, { body: answer(AUDIO) }).ack({ body: offer(AUDIO) }).trace(), 2],
    ['an empty ACK', () => exchange(offer(AUDIO), answer(AUDIO))]);
  pair('OA-11', ['a 200 rejecting every stream', () => exchange(offer(AUDIO), answer(['m=audio 0 RTP/AVP 0'])), 1], ['a 200 accepting audio', () => exchange(offer(AUDIO), answer(['m=audio 5000 RTP/AVP 0']))]);
  pair('OA-12', ['SDP without s=', () => flow().invite('alice', 'bob', { body: offer(AUDIO).replace('s=-\r\n', '') }).trace(), 0], ['complete SDP', () => flow().invite('alice', 'bob', { body: offer(AUDIO) }).trace()]);

  test('OA-03 names a payload type that is not a number as it is, even one that names an object member', () => {
    const found = runRules(exchange(offer(['m=audio 4000 RTP/AVP 0']), answer(['m=audio 5000 RTP/AVP 0 constructor'])), { only: ['OA-03'] });
    expect(found.map((f) => f.message)).toEqual([expect.stringContaining('lists constructor (ptconstructor), not in the offer')]);
  });
});
