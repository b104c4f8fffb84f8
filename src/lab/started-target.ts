/**
 * A target ready for a suite: the embedded Kamailio the lab started on this worker's block, or an external
 * system that answered the probe. Suites only see this interface; how it runs is not their business.
 */
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { AddressBlock } from './address-block.js';
import { probeTarget } from './probe.js';
import type { LabConfig } from './schema.js';
import type { TargetPlan } from './target.js';

export interface StartedTarget {
  plan: TargetPlan;
  host: string;
  port: number;
  /** "host:port" (IPv6 bracketed). */
  hostPort: string;
  domain: string;
  /** The embedded Kamailio, when the lab runs one (for its log and location table). */
  kamailio?: StartedKamailio;
  /** Everything the target printed so far (embedded only). */
  logs(): string | undefined;
  stop(): Promise<void>;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startTarget(plan: TargetPlan, block: AddressBlock, lab: LabConfig, logFile?: string): Promise<StartedTarget> {
  if (plan.kind === 'embedded') {
    const address = block.allocateHost();
    const k = new Kamailio(address, plan.port)
      .withDomain(lab.domain)
      .withAccounts(lab.accounts.map((a) => ({ user: a.authUser ?? a.user, password: a.password })))
      .withRegistrar(lab.registrar)
      .withT1(lab.t1);
    if (logFile) k.withLogFile(logFile);
    const started = await k.start();
    return {
      plan: { ...plan, host: address },
      host: address,
      port: plan.port,
      hostPort: `${address}:${plan.port}`,
      domain: lab.domain,
      kamailio: started,
      logs: () => started.logs(),
      stop: () => started.stop(),
    };
  }
  const host = plan.host!;
  await probeTarget({ name: plan.name, host, port: plan.port, transport: plan.transport, from: block.host(250), t1Ms: plan.t1Ms });
  return {
    plan,
    host,
    port: plan.port,
    hostPort: `${bracket(host)}:${plan.port}`,
    domain: plan.domain ?? host,
    logs: () => undefined,
    stop: async () => {},
  };
}
