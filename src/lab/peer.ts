/**
 * The other domain's proxy for inter-domain tests: a Kamailio the lab runs where the target sends requests for
 * that domain (the target's `proxy.peer`). It is the far proxy of the exercise, not the system under test: it
 * knows the target's accounts (bob registers with it) and routes the target's domain back to the target.
 */
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { LabConfig } from './schema.js';
import type { StartedTarget } from './started-target.js';

/**
 * The other domain's dial plan, for the numbers the target sends it (its peer prefix): the prefix and each of the
 * target's short numbers (an extension: no +, no leading 0) reach the same user there, who registers with it.
 */
export function peerNumbers(target: Pick<StartedTarget, 'plan'>): Record<string, string> {
  const prefix = target.plan.proxy?.peer?.prefix;
  if (!prefix) return {};
  const short = Object.entries(target.plan.numbers ?? {}).filter(([n]) => /^[1-9][0-9]*$/.test(n));
  return Object.fromEntries(short.map(([n, user]) => [`${prefix}${n}`, user]));
}

/**
 * `keyLog`: over TLS, where it logs its TLS secrets (the test's key log): its hops with the target then go over
 * TLS too, and the test's capture reads them. Without one, over TLS, that hop stays on TCP to the target's plain
 * port, as a TLS hop nobody logs keys for could not be read.
 */
export async function startPeer(target: StartedTarget, lab: LabConfig, o: { keyLog?: string } = {}): Promise<StartedKamailio> {
  const peer = target.peer;
  if (!peer) throw new Error(`target ${target.plan.name} declares no peer domain (proxy.peer)`);
  const betweenProxies = target.tls ? (o.keyLog ? 'tls' : 'tcp') : target.plan.transport === 'tcp' ? 'tcp' : undefined;
  const k = new Kamailio(peer.host, peer.port)
    .withDomain(peer.domain)
    .withAccounts(target.plan.accounts.map((a) => ({ user: a.authUser ?? a.user, password: a.password })))
    .withT1(target.plan.t1Ms)
    .withNumbers(peerNumbers(target))
    // A target reached over TCP only (its file says transport: tcp) is reached so from here too.
    .withPeer(target.domain, target.host, target.tls && betweenProxies === 'tcp' ? target.plan.port : target.port, betweenProxies)
    .withRuntime(target.plan.kind === 'embedded' ? lab.runtime.kamailio : 'auto');
  // Over TLS the parties (bob registering) reach it on its TLS port, with a certificate from the target's CA,
  // which they already trust.
  if (target.tls) {
    k.withTransports('udp', 'tcp', 'tls');
    if (target.tls.signer) k.withTlsCa(target.tls.signer);
    if (o.keyLog) k.withKeyLog(o.keyLog);
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
