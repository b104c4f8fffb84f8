/**
 * A target ready for a suite: the embedded Kamailio the lab started on this worker's block, or an external
 * system that answered the probe. Suites only see this interface; how it runs is not their business.
 */
import { Asterisk, type StartedAsterisk } from '../../drivers/asterisk/index.js';
import { makeTlsMaterial, type TlsCa } from '../runtime/tls-material.js';
import { ownTempDir, removeTempDir } from '../runtime/temp-dirs.js';
import { Kamailio, type StartedKamailio } from '../../drivers/kamailio/index.js';
import type { AddressBlock } from './address-block.js';
import { interfaceOf, isLoopbackAddress, routeTo, type LocalRoute } from '../runtime/route.js';
import { probeTarget } from './probe.js';
import { resolveHost } from './resolve.js';
import { hostPort, uriHost } from '../util/host.js';
import type { LabConfig } from './schema.js';
import type { TargetPlan } from './target.js';
import { runTransport } from './transport.js';

export interface StartedTarget {
  plan: TargetPlan;
  host: string;
  port: number;
  /** "host:port" (IPv6 bracketed). */
  hostPort: string;
  domain: string;
  /** The embedded Kamailio, when the lab runs one (for its log and location table). */
  kamailio?: StartedKamailio;
  /** The embedded Asterisk, when the lab runs one (for its log, contacts and channels). */
  asterisk?: StartedAsterisk;
  /** The other domain the target routes, and the address where the lab runs its proxy (see lab.peer). */
  peer?: { domain: string; host: string; port: number; hostPort: string };
  /**
   * For a target reached from one local address (on another host, or `local.address` given): that address
   * and the interface that reaches the target. The parties share the address, each on ports of its own, and
   * the capture listens on the interface. Absent, each party has a loopback address of its own.
   */
  local?: LocalRoute;
  /** When the lab started (or probed) it: one target per worker keeps one value for all the worker's files. */
  startedAt: number;
  /**
   * Over TLS (`--transport tls`): the CA that signed the target's certificate, which the parties verify it
   * with; `hostPort` and `port` are then the target's TLS socket.
   */
  tls?: { caFile: string; party: { certFile: string; keyFile: string }; signer?: TlsCa };
  /** Everything the target printed so far (embedded only). */
  logs(): string | undefined;
  stop(): Promise<void>;
}

/**
 * RTP ports for a block's Asterisk: 100 per block from 20000, below Linux's ephemeral range (32768…), so two
 * workers' PBXes never pick the same media port.
 */
export function rtpRange(block: AddressBlock): [number, number] {
  const start = 20000 + (block.index % 120) * 100;
  return [start, start + 98];
}

/** What every embedded target hands a suite once its node is up on `address`. */
function embeddedTarget(plan: TargetPlan, address: string, lab: LabConfig, node: { logs(): string; stop(): Promise<void> }): StartedTarget {
  return {
    plan: { ...plan, host: address },
    host: address,
    port: plan.port,
    hostPort: hostPort(address, plan.port),
    domain: lab.domain,
    startedAt: Date.now(),
    logs: () => node.logs(),
    stop: () => node.stop(),
  };
}

/**
 * Where the parties of a run against an external target send from: the address given (`local.address`,
 * `--local-address`), else for a target off loopback the address that routes to it; undefined for a target on
 * loopback, whose parties each take an address of the worker's block.
 */
export function localRouteFor(plan: TargetPlan, host: string): LocalRoute | undefined {
  if (plan.local) return interfaceOf(plan.local.address, `target ${plan.name}: local address`);
  if (isLoopbackAddress(host)) return undefined;
  return routeTo(host);
}

/**
 * A target reached over TLS at `port`, its certificate signed by `caFile`; the parties present a certificate of
 * their own when the target opens a connection to them (a call to bob), made here and removed with the target.
 */
function overTlsAt(t: StartedTarget, port: number, caFile: string): Pick<StartedTarget, 'port' | 'hostPort' | 'tls' | 'stop'> {
  const dir = ownTempDir('party-tls');
  const party = makeTlsMaterial(dir, 'sipwright-party', 'sipwright parties CA');
  return {
    port,
    hostPort: hostPort(t.host, port),
    tls: { caFile, party: { certFile: party.certFile, keyFile: party.keyFile } },
    stop: async () => {
      try {
        await t.stop();
      } finally {
        removeTempDir(dir);
      }
    },
  };
}

export async function startTarget(plan: TargetPlan, block: AddressBlock, lab: LabConfig, logFile?: string): Promise<StartedTarget> {
  if (plan.embedded === 'embedded:asterisk') {
    const address = block.allocateHost();
    const a = new Asterisk(address, plan.port)
      .withDomain(lab.domain)
      .withAccounts(plan.accounts.map((x) => {
        const user = x.authUser ?? x.user;
        return { user, password: x.password, ...(x.algorithms ? { algorithms: x.algorithms } : {}), ...(plan.registrar?.qualify?.user === user ? { qualifyFrequency: plan.registrar.qualify.every } : {}) };
      }))
      .withRegistrar(lab.registrar)
      .withNonceLifetime(plan.auth?.nonceLifetime ?? 32)
      .withT1(lab.t1)
      .withRtpPorts(...rtpRange(block))
      .withNumbers(plan.numbers ?? {})
      .withRuntime(lab.runtime.asterisk);
    // The account whose calls must be SRTP (the embedded plan's SDES_ACCOUNT): media_encryption = sdes.
    if (plan.srtp?.requiredBy) a.withSdesRequired(plan.srtp.requiredBy);
    if (logFile) a.withLogFile(logFile);
    const overTls = runTransport(plan) === 'tls';
    if (overTls) a.withTransports('udp', 'tcp', 'tls');
    const asterisk = await a.start();
    const started = { ...embeddedTarget(plan, address, lab, asterisk), asterisk };
    // Over TLS the parties reach its TLS socket (port + 1) and verify the certificate made for this instance.
    return overTls && asterisk.tls ? { ...started, ...overTlsAt(started, asterisk.tls.port, asterisk.tls.caFile) } : started;
  }
  if (plan.kind === 'embedded') {
    const address = block.allocateHost();
    const peerSpec = plan.proxy?.peer;
    // Reserved now, started only by a suite that needs it: the proxy's config must name it from the start.
    const peer = peerSpec ? { domain: peerSpec.domain, host: block.allocateHost(), port: peerSpec.port } : undefined;
    const k = new Kamailio(address, plan.port)
      .withDomain(lab.domain)
      .withAccounts(lab.accounts.map((a) => ({ user: a.authUser ?? a.user, password: a.password })))
      .withRegistrar(lab.registrar)
      .withT1(lab.t1)
      .withNumbers(plan.numbers ?? {})
      .withRuntime(lab.runtime.kamailio);
    // Over TLS the hop to the other domain's proxy is TLS too, to its TLS port: the lab starts that proxy per test
    // with the test's key log (fixture.ts, peer.ts), so the capture reads both directions.
    if (peer) k.withPeer(peer.domain, peer.host, runTransport(plan) === 'tls' ? peer.port + 1 : peer.port, runTransport(plan) === 'tls' ? 'tls' : undefined, { prefix: peerSpec?.prefix });
    if (lab.proxyAuth) k.withProxyAuth(true, { inDialog: lab.proxyAuth === 'in-dialog' });
    const overTls = runTransport(plan) === 'tls';
    if (overTls) k.withTransports('udp', 'tcp', 'tls');
    if (plan.auth?.nonceLifetime) k.withNonceLifetime(plan.auth.nonceLifetime);
    if (logFile) k.withLogFile(logFile);
    const kamailio = await k.start();
    // The parties reach the other domain's proxy over TLS too (bob registers with it): on its TLS port.
    const started: StartedTarget = { ...embeddedTarget(plan, address, lab, kamailio), kamailio, ...(peer ? { peer: { ...peer, hostPort: hostPort(peer.host, overTls ? peer.port + 1 : peer.port) } } : {}) };
    if (!overTls || !kamailio.tls) return started;
    const tls = overTlsAt(started, kamailio.tls.port, kamailio.tls.caFile);
    // Its CA signs the other domain's proxy too, so the parties verify both with one CA file.
    return { ...started, ...tls, tls: { ...tls.tls!, signer: { caFile: kamailio.tls.caFile, caKeyFile: kamailio.tls.caKeyFile } } };
  }
  const host = await resolveHost(plan.host!, `target ${plan.name} (${plan.source}) address`);
  const local = localRouteFor(plan, host);
  const transport = runTransport(plan);
  await probeTarget({ name: plan.name, host, port: plan.port, transport, from: local?.address ?? block.host(250), t1Ms: plan.t1Ms });
  const started: StartedTarget = {
    plan,
    host,
    ...(local ? { local } : {}),
    port: plan.port,
    hostPort: hostPort(host, plan.port),
    domain: plan.domain ?? uriHost(host),
    startedAt: Date.now(),
    ...(plan.proxy?.peer?.host ? { peer: { domain: plan.proxy.peer.domain, host: plan.proxy.peer.host, port: plan.proxy.peer.port, hostPort: hostPort(plan.proxy.peer.host, plan.proxy.peer.port) } } : {}),
    logs: () => undefined,
    stop: async () => {},
  };
  if (transport !== 'tls') return started;
  if (!plan.tls) throw new Error(`target ${plan.name} (${plan.source}) runs over TLS without tls.ca: the CA its certificate is checked with`);
  return { ...started, ...overTlsAt(started, plan.port, plan.tls.ca) };
}
