/**
 * The target's TLS, as a user agent checks it before it sends a SIP message (RFC 5922, RFC 8996): its
 * certificate must chain to the CA the target declares (its own CA for an embedded target), name the target
 * (its address, or tls.serverName), and be in date; and the target must not speak TLS below 1.2. A
 * certificate our user agents would refuse is the verdict, with the reason, not a crash of the run.
 */
import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { describeLab } from '../../src/lab/fixture.js';
import { runTransport } from '../../src/lab/transport.js';
import { handshake } from './tls-handshake.js';

describeLab('The target\'s TLS (RFC 5922, RFC 8996)', { roles: [], targetParty: 'target' }, (lab) => {
  const overTls = (t: Parameters<typeof runTransport>[0]) => (runTransport(t) === 'tls' ? true : `the target's TLS is checked in a run over TLS (--transport tls; this one goes over ${runTransport(t).toUpperCase()})`);

  lab.test(
    'its certificate chains to its CA, names it and is in date, and it speaks TLS 1.2 or later',
    { rfc: ['RFC 5922 §7.2', 'RFC 5246 §7.4.2', 'RFC 8996 §5'], requires: overTls },
    async () => {
      const t = lab.target;
      const name = lab.plan.tls?.serverName ?? t.host;
      const r = await handshake({ host: t.host, port: t.port, from: lab.party('alice'), ca: readFileSync(t.tls!.caFile), ...(isIP(name) ? {} : { servername: name }), identity: name, keyLog: lab.run.keyLog });
      // What a user agent refuses, said the way it would be said: not trusted, another name, out of date.
      expect(r.refused ?? 'accepted').toBe('accepted');
      expect(['TLSv1.2', 'TLSv1.3']).toContain(r.protocol);
    },
  );

  lab.test(
    'it refuses TLS 1.1 and 1.0',
    { rfc: ['RFC 8996 §5', 'RFC 8996 §3'], requires: overTls },
    async () => {
      const t = lab.target;
      // OpenSSL offers 1.0 and 1.1 only at security level 0; a target that takes them is what this test is for.
      const r = await handshake({ host: t.host, port: t.port, from: lab.party('alice'), maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', keyLog: lab.run.keyLog });
      expect(r.protocol === undefined ? 'refused' : `accepted ${r.protocol}`).toBe('refused');
    },
  );
});
