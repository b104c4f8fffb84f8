/**
 * A stand-in suite for test/lab/tls-unread.test.ts, run over TLS: one party whose secrets go to a key log of its
 * own (a phone that logs none, as far as the test's capture is concerned), and one that logs them where the lab
 * reads them. Named *.fixture.ts so the project's own jest run never collects it.
 */
import { expect } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario } from '../../../../drivers/sipp/index.js';
import { describeLab, type Lab } from '../../../../src/lab/fixture.js';
import { CALL_ID, MAX_FORWARDS, message, VIA } from '../../../../src/ua/sip-text.js';

/** A REGISTER without credentials, answered with the registrar's challenge. */
function challengedRegister(lab: Lab, user: string) {
  const aor = `sip:${user}@${lab.target.domain}`;
  return scenario(`register-${user}`)
    .send(message([`REGISTER sip:${lab.target.domain} SIP/2.0`, VIA, MAX_FORWARDS, `From: <${aor}>;tag=[call_number]`, `To: <${aor}>`, CALL_ID, 'CSeq: 1 REGISTER', `Contact: <sip:${user}@[local_ip]:[local_port];transport=tls>`, 'Expires: 60']))
    .recv({ response: 401 });
}

describeLab('tls-unread', { roles: ['registrar'] }, (lab) => {
  lab.test('a party whose secrets the lab never sees', async () => {
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'sipwright-other-keys-')), 'tls.keys');
    await lab.sipp(challengedRegister(lab, 'nokeys'), { party: 'nokeys' }).withKeyLog(elsewhere).run();
    // Never reached: the trace can't be read, and this test must end skipped, not failed on this line.
    expect((await lab.trace()).find({ method: 'REGISTER' }).length).toBe(1);
  });

  lab.test('a party whose secrets the lab reads', async () => {
    await lab.sipp(challengedRegister(lab, 'keyed'), { party: 'keyed' }).run();
    expect((await lab.trace()).find({ method: 'REGISTER', from: 'keyed' }).length).toBe(1);
  });
});
