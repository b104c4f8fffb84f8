/**
 * The other domain's proxy for inter-domain tests: a Kamailio the lab runs where the target sends requests for
 * that domain (the target's `proxy.peer`). It is the far proxy of the exercise, not the system under test: it
 * knows the target's accounts (bob registers with it) and routes the target's domain back to the target.
 */
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { LabConfig } from './schema.js';
import type { StartedTarget } from './started-target.js';

export async function startPeer(target: StartedTarget, lab: LabConfig): Promise<StartedKamailio> {
  const peer = target.peer;
  if (!peer) throw new Error(`target ${target.plan.name} declares no peer domain (proxy.peer)`);
  const k = new Kamailio(peer.host, peer.port)
    .withDomain(peer.domain)
    .withAccounts(target.plan.accounts.map((a) => ({ user: a.authUser ?? a.user, password: a.password })))
    .withT1(target.plan.t1Ms)
    // A target reached over TCP only (its file says transport: tcp) is reached so from here too. Over TLS the
    // hop between the proxies is TCP to the target's plain port (started-target.ts says why).
    .withPeer(target.domain, target.host, target.tls ? target.plan.port : target.port, target.tls || target.plan.transport === 'tcp' ? 'tcp' : undefined)
    .withRuntime(target.plan.kind === 'embedded' ? lab.runtime.kamailio : 'auto');
  // Over TLS the parties (bob registering) reach it on its TLS port, with a certificate from the target's CA,
  // which they already trust.
  if (target.tls) {
    k.withTransports('udp', 'tcp', 'tls');
    if (target.tls.signer) k.withTlsCa(target.tls.signer);
  }
  try {
    return await k.start();
  } catch (e) {
    throw new Error(
      `${target.plan.source}: proxy.peer says ${target.plan.name} routes ${peer.domain} to ${peer.hostPort}, where sipwright runs that domain's proxy; ` +
        `it could not start there (the address must be one of this machine's): ${(e as Error).message}`,
    );
  }
}
