/**
 * A real phone for a test (baresip, drivers/baresip): at a party's address, registered with the target as an
 * account, where a user agent's own behaviour matters (the transferee of a REFER, which follows it with a call
 * of its own: SIPp keeps to one Call-ID per scenario). Its log is kept with the test's evidence; when the test
 * ends it stops and its binding is removed, so the next test does not fork to a phone that is gone.
 */
import { Baresip, type StartedBaresip } from '../../drivers/baresip/index.js';
import type { Credentials } from '../ua/index.js';
import type { Lab } from './fixture.js';
import { runTransport } from './transport.js';

export async function startPhone(lab: Lab, name: string, account: Credentials, o: { autoAnswer?: boolean } = {}): Promise<StartedBaresip> {
  const transport = runTransport(lab.plan);
  if (transport === 'tls') throw new Error(`phone ${name}: baresip takes part over UDP or TCP, and this run goes over TLS (its key log is not wired in)`);
  // Its SIP socket, the TCP one baresip adds beside it (port + 1), and ctrl: all within the party's own ports.
  const sip = lab.endpoint(name, 5060);
  const ctrl = lab.endpoint(name, 5063);
  const logDir = lab.run.sippDir(`baresip-${name}`);
  const phone = await new Baresip(sip.host, sip.port)
    .withAccount({ user: account.user, password: account.password, domain: lab.target.domain, registrar: lab.target.hostPort, transport })
    .withAutoAnswer(o.autoAnswer ?? true)
    .withCtrlPort(ctrl.port)
    .withLogFile(`${logDir}/baresip.log`)
    .start();
  lab.run.onCleanup(async () => {
    // Killed, not stopped: on SIGTERM it hangs up a call whose far end is gone, and that BYE's retransmissions
    // reached the next test's party at the same address and port. Its binding is removed here instead.
    await phone.stop({ graceful: false });
    await lab.ua(name, account).unregister();
  });
  return phone;
}
