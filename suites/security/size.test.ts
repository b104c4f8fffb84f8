/**
 * Size (the course's exercise 9): security headers make requests large (a long Identity, Call-Info), and a
 * request over 1300 bytes on UDP meets the path MTU. RFC 3261 §18.1.1: an element forwards it over a
 * congestion-controlled transport such as TCP where the next hop takes one, or else it goes as UDP and the IP
 * layer fragments it. Either way the request must arrive whole; the test says which way it went, and the
 * capture's reassembly reads it either way.
 */
import { expect } from '@jest/globals';
import { describeLab } from '../../src/lab/fixture.js';
import { overUdp } from '../../src/lab/transport.js';

/** A Call-Info header that takes the INVITE past 1300 bytes by itself (RFC 3261 §20.9). */
const BIG_CALL_INFO = `Call-Info: <http://www.example.com/sipwright/${'x'.repeat(1400)}.png>;purpose=icon`;

describeLab('Requests larger than 1300 bytes (RFC 3261 §18.1.1)', { roles: ['registrar', 'proxy'], targetParty: 'proxy' }, (lab) => {
  lab.test(
    'a request over 1300 bytes crosses the proxy whole: over TCP where the next hop takes it, or as UDP, fragmented on a smaller MTU',
    { rfc: ['RFC 3261 §18.1.1', 'RFC 3261 §18.2.1'], requires: overUdp('a request of any size goes as it is: the test needs --transport udp') },
    async () => {
      const bob = lab.ua('bob', lab.account(1));
      await bob.register();
      const ringing = await bob.answer().start();
      await lab.ua('alice', lab.account(0)).call(bob, { headers: [BIG_CALL_INFO] }).bye({ afterMs: 50 }).run();
      await ringing.settle();
      const trace = await lab.trace();
      const sent = trace.one({ method: 'INVITE', from: 'alice' });
      const relayed = trace.one({ method: 'INVITE', from: 'proxy', to: 'bob' });
      expect(sent.message.wireLength).toBeGreaterThan(1300);
      // Whole on both hops: the header as alice wrote it, and the body after it.
      for (const m of [sent, relayed]) {
        expect(m.message.get('Call-Info')).toBe(BIG_CALL_INFO.slice('Call-Info: '.length));
        expect(m.message.body.length).toBe(m.message.contentLength);
      }
      expect(trace.one({ status: 200, cseqMethod: 'INVITE', to: 'alice' })).toBeDefined();
      const size = relayed.message.wireLength;
      await lab.note(
        relayed.transport === 'tcp'
          ? `the proxy forwarded the ${size}-byte INVITE to bob over TCP (RFC 3261 §18.1.1)`
          : `the proxy forwarded the ${size}-byte INVITE to bob over ${relayed.transport.toUpperCase()}, as one datagram: the IP layer fragments it on any path whose MTU is below ${size + 28} bytes, and the capture reassembles it`,
      );
    },
  );
});
