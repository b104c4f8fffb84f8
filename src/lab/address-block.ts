/**
 * Each jest worker (and each separate run on the machine) owns a loopback /24 of its own, 127.100.N.0/24, so
 * test files run in parallel without port clashes. Blocks are claimed with lock files holding the owner's pid
 * and start time; a block whose owner died is free again.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, processStartTime, stateDir } from '../runtime/process-registry.js';

export const BLOCK_PREFIX = '127.100';
const FIRST_BLOCK = 1;
const LAST_BLOCK = 250;
const PORT_BASE = 10000;
const PORTS_PER_BLOCK = 80;

export class AddressBlock {
  private nextHost = 10;
  private nextPort = 0;

  constructor(readonly index: number, private readonly lockFile: string) {}

  /** The block as a CIDR, for capture filters. */
  get cidr(): string {
    return `${BLOCK_PREFIX}.${this.index}.0/24`;
  }

  host(n: number): string {
    if (!Number.isInteger(n) || n < 1 || n > 254) throw new RangeError(`host number ${n} is outside 1..254`);
    return `${BLOCK_PREFIX}.${this.index}.${n}`;
  }

  /** A fresh address in the block (10, 11, …): one per endpoint. */
  allocateHost(): string {
    if (this.nextHost > 254) throw new RangeError(`address block ${this.cidr} is exhausted`);
    return this.host(this.nextHost++);
  }

  /** A TCP/UDP port no other block uses, for control sockets that must not clash (SIPp -cp). */
  allocatePort(): number {
    return this.allocatePorts(1);
  }

  /**
   * `n` consecutive ports no other block uses; the first. Where parties share one address (a target on
   * another host) each party's SIP ports come from here.
   */
  allocatePorts(n: number): number {
    // 80 ports per block from 10000 keeps every block (up to 250) below Linux's ephemeral range (32768…).
    // Wrapping would hand out a port a running SIPp may still hold, so running out is an error instead. The
    // last port is the capture markers' (markerPort).
    if (this.nextPort + n > PORTS_PER_BLOCK - 1) throw new RangeError(`address block ${this.cidr} has used all its ${PORTS_PER_BLOCK - 1} ports`);
    const first = PORT_BASE + this.index * PORTS_PER_BLOCK + this.nextPort;
    this.nextPort += n;
    return first;
  }

  /** The block's ports, first and last: a capture filter's portrange where parties share an address. */
  get portRange(): [number, number] {
    const first = PORT_BASE + this.index * PORTS_PER_BLOCK;
    return [first, first + PORTS_PER_BLOCK - 1];
  }

  /** The port capture markers are sent from where parties share an address (inside portRange, never allocated). */
  get markerPort(): number {
    return this.portRange[1];
  }

  release(): void {
    rmSync(this.lockFile, { force: true });
  }
}

function locksDir(): string {
  const dir = join(stateDir(), 'blocks');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function ownerAlive(file: string): boolean {
  try {
    const [pid, start] = readFileSync(file, 'utf8').trim().split(' ');
    return isAlive(Number(pid), start);
  } catch {
    return false;
  }
}

/**
 * Creates `file` holding our pid and start time, atomically: the content is written to a private file first
 * and hard-linked into place (link fails with EEXIST if the lock exists). A lock is therefore never seen
 * empty; an empty lock would read as "owner dead" and be taken over by a second worker starting at once.
 */
function tryCreateLock(file: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid} ${processStartTime(process.pid)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

const TAKEOVER_STALE_MS = 10_000;

/**
 * Removing a dead owner's lock is done under one mutex for all blocks: two workers that both saw the same
 * dead lock could otherwise each remove it, and the second removal would delete the first one's fresh lock,
 * leaving both owning the block. Under the mutex the owner is checked again before removing.
 */
function takeOverIfDead(dir: string, file: string): boolean {
  const mutex = join(dir, '.takeover');
  let fd: number;
  try {
    fd = openSync(mutex, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A mutex left by a crashed process is removed once it is clearly old; this attempt just moves on.
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) rmSync(mutex, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    if (ownerAlive(file)) return false;
    rmSync(file, { force: true });
    return tryCreateLock(file);
  } finally {
    closeSync(fd);
    rmSync(mutex, { force: true });
  }
}

/** Claims the lowest free block. `preferred` (e.g. the jest worker id) is tried first, to keep addresses stable. */
export function claimAddressBlock(preferred?: number): AddressBlock {
  const dir = locksDir();
  const order: number[] = [];
  if (preferred !== undefined && preferred >= FIRST_BLOCK && preferred <= LAST_BLOCK) order.push(preferred);
  for (let i = FIRST_BLOCK; i <= LAST_BLOCK; i++) if (i !== preferred) order.push(i);
  for (const i of order) {
    const file = join(dir, `${i}.lock`);
    if (tryCreateLock(file)) return new AddressBlock(i, file);
    if (!ownerAlive(file) && takeOverIfDead(dir, file)) return new AddressBlock(i, file);
  }
  throw new Error(`no free loopback address block in ${BLOCK_PREFIX}.${FIRST_BLOCK}-${LAST_BLOCK}.0/24 (see ${dir})`);
}
