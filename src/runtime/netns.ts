/**
 * A network namespace joined to this one by a veth pair: a "host on another machine" without a second machine.
 * The namespace's side has `inside`, ours `outside`, on a /30 (IPv4) or /64 (IPv6) of their own; traffic
 * between them crosses a real interface, so a capture there sees what a capture on a NIC would. Deleting the
 * namespace deletes the pair.
 *
 * The name carries the owner's pid and start time (sw-PID-START-N), so leftovers of a crashed owner are found
 * and deleted at the next start (reapStaleNetns), like the process registry's groups.
 */
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { isAlive, processStartTime } from './process-registry.js';
import { onExitOrSignal } from './exit-cleanup.js';
import { which } from './native.js';

export const NETNS_PREFIX = 'sw-';
const NAME = /^sw-(\d+)-(\d+)-(\d+)$/;

export interface NetnsOptions {
  /** The namespace's address (its end of the veth pair): IPv4 or IPv6, the same family as `outside`. */
  inside: string;
  /** Our address (this namespace's end). */
  outside: string;
  /** Prefix length of the link between them. Default 30 for IPv4, 64 for IPv6. */
  prefix?: number;
}

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

let seq = 0;

export class StartedNetns {
  private deleted = false;
  private readonly withdraw: () => void;

  constructor(readonly name: string, readonly inside: string, readonly outside: string, readonly hostIface: string) {
    this.withdraw = onExitOrSignal(() => this.delete());
  }

  /** Runs `command` inside the namespace to completion; its stdout. */
  exec(command: string[]): string {
    return ip(['netns', 'exec', this.name, ...command]);
  }

  /** Deletes the namespace (and with it the veth pair). Idempotent. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.withdraw();
    try {
      ip(['netns', 'del', this.name]);
    } catch {
      /* already gone */
    }
  }
}

/** Creates a namespace with a veth pair to this one (root, iproute2). */
export function createNetns(o: NetnsOptions): StartedNetns {
  if (!which('ip')) throw new Error('ip (iproute2) is not installed: apt-get install iproute2');
  reapStaleNetns();
  const n = ++seq;
  const name = `${NETNS_PREFIX}${process.pid}-${processStartTime(process.pid)}-${n}`;
  // Interface names are at most 15 characters: pid and sequence keep them unique on the machine.
  const outsideIf = `swo${process.pid}x${n}`.slice(0, 15);
  const insideIf = `swi${process.pid}x${n}`.slice(0, 15);
  const family = isIP(o.inside);
  if (family === 0 || isIP(o.outside) !== family) throw new Error(`createNetns: inside ${o.inside} and outside ${o.outside} must be IP addresses of one family`);
  const prefix = o.prefix ?? (family === 6 ? 64 : 30);
  // An IPv6 address is "tentative" until duplicate address detection is done (a second or more), and a socket
  // can't bind it meanwhile: on a link of two ends we made, there is nobody to detect, so nodad.
  const addrFlags = family === 6 ? ['nodad'] : [];
  ip(['netns', 'add', name]);
  const ns = new StartedNetns(name, o.inside, o.outside, outsideIf);
  try {
    ip(['link', 'add', outsideIf, 'type', 'veth', 'peer', 'name', insideIf]);
    ip(['link', 'set', insideIf, 'netns', name]);
    ip(['addr', 'add', `${o.outside}/${prefix}`, 'dev', outsideIf, ...addrFlags]);
    ip(['link', 'set', outsideIf, 'up']);
    ns.exec(['ip', 'addr', 'add', `${o.inside}/${prefix}`, 'dev', insideIf, ...addrFlags]);
    ns.exec(['ip', 'link', 'set', insideIf, 'up']);
    ns.exec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    ns.delete();
    // A veth made before the namespace took its end is ours to remove too.
    try {
      ip(['link', 'del', outsideIf]);
    } catch {
      /* not made */
    }
    throw e;
  }
  return ns;
}

/** Deletes the namespaces whose owner is gone. Returns their names. */
export function reapStaleNetns(): string[] {
  if (!which('ip')) return [];
  let list: string;
  try {
    list = ip(['netns', 'list']);
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    const m = NAME.exec(name);
    if (!m || isAlive(Number(m[1]), m[2])) continue;
    try {
      ip(['netns', 'del', name]);
      reaped.push(name);
    } catch {
      /* another run reaped it first */
    }
  }
  return reaped;
}

/** Our namespaces (any owner), for a test that checks nothing was left. */
export function sipwrightNetns(): string[] {
  if (!which('ip')) return [];
  return ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((n) => NAME.test(n));
}
