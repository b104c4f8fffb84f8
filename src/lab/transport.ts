/** The transport a run's user agents use, and skipping the tests that only mean something over UDP. */
import type { TargetTransport } from './schema.js';
import type { TargetPlan } from './target.js';

/** `sipwright run --transport`, else the target's own. */
export function runTransport(plan: TargetPlan): TargetTransport {
  const asked = process.env.SIPWRIGHT_TRANSPORT;
  return asked === 'udp' || asked === 'tcp' || asked === 'tls' ? asked : plan.transport;
}

/**
 * A `requires` for a test about what only happens over UDP (retransmissions, a silent peer): over TCP or TLS
 * the test is skipped with `why`, which says what happens there instead.
 */
export function overUdp(why: string): (plan: TargetPlan) => true | string {
  return (plan) => {
    const t = runTransport(plan);
    return t === 'udp' ? true : `over ${t.toUpperCase()} ${why}`;
  };
}
