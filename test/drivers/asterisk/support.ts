/** Shared by the Asterisk driver tests that run a real Asterisk container. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { StartedAsterisk } from '../../../drivers/asterisk/index.js';
import { extractSip } from '../../../src/capture/extract.js';
import { LiveCapture } from '../../../src/capture/live.js';
import { dockerStatus } from '../../../src/env/docker.js';
import type { AddressBlock } from '../../../src/lab/address-block.js';
import { labelledContainers, NAME_LABEL, ownerLabel, RUN_LABEL } from '../../../src/runtime/container.js';
import { imageExists } from '../../../src/runtime/images/build.js';
import { imageTag } from '../../../src/runtime/images/recipe.js';
import { which } from '../../../src/runtime/native.js';
import { Trace } from '../../../src/trace/trace.js';

export const ASTERISK_TAG = imageTag('asterisk');

/** Why the container tests can't run here, or undefined when they can. */
export function asteriskSkipReason(): string | undefined {
  const daemon = dockerStatus();
  if (!daemon.serverVersion) return `docker daemon not answering: ${daemon.problem}`;
  if (!imageExists(ASTERISK_TAG)) return `image ${ASTERISK_TAG} missing (sipwright images build --only asterisk)`;
  if (!which('sipp')) return 'sipp not installed (apt-get install sip-tester)';
  return undefined;
}

/** Captures need tcpdump and root; without them the tests check SIPp's results and Asterisk's state only. */
export const canCapture = process.getuid?.() === 0 && which('tcpdump') !== undefined;

/** RTP ports of the block's own (12 ports: six RTP/RTCP pairs), so no two workers' PBXes share one. */
export function rtpPorts(block: AddressBlock): [number, number] {
  const ports = Array.from({ length: 12 }, () => block.allocatePort());
  return [ports[0], ports[ports.length - 1]];
}

/** This process's containers (running or not): what must be empty after stop(). */
export function ourContainers(): string[] {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}=${ownerLabel()}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

/** The host pid of the Asterisk in this started container (host network: its sockets are in /proc/net here). */
export function asteriskPid(a: StartedAsterisk): number {
  const c = labelledContainers().find((x) => x.run === ownerLabel() && x.name === `asterisk@${a.hostPort}`);
  if (!c) throw new Error(`no container labelled ${NAME_LABEL}=asterisk@${a.hostPort}`);
  const r = spawnSync('docker', ['inspect', '--format', '{{.State.Pid}}', c.id], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** Runs `body` under a capture of the block, and returns its value with the trace of what went over the wire. */
export async function captured<T>(block: AddressBlock, dir: string, parties: Record<string, string>, body: () => Promise<T>): Promise<{ value: T; trace?: Trace }> {
  if (!canCapture) return { value: await body() };
  const cap = await LiveCapture.start({ file: join(dir, `c-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.pcap`), filter: `net ${block.cidr}`, markerAddress: block.host(254) });
  try {
    const value = await body();
    await cap.stop();
    return { value, trace: Trace.fromCapture(extractSip(cap.bytes()), { parties }) };
  } finally {
    await cap.stop();
  }
}

export { until } from '../../support/poll.js';
