/**
 * Each jest worker (and each separate run on the machine) owns a loopback /24 of its own, 127.100.N.0/24, so
 * test files run in parallel without port clashes. Blocks are claimed with lock files holding the owner's pid
 * and start time; a block whose owner died is free again.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, processStartTime, stateDir } from '../runtime/process-registry.js';

export const BLOCK_PREFIX = '127.100';
const FIRST_BLOCK = 1;
const LAST_BLOCK = 250;

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
    const port = 20000 + this.index * 100 + (this.nextPort++ % 100);
    return port;
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

/** Claims the lowest free block. `preferred` (e.g. the jest worker id) is tried first, to keep addresses stable. */
export function claimAddressBlock(preferred?: number): AddressBlock {
  const dir = locksDir();
  const order: number[] = [];
  if (preferred !== undefined && preferred >= FIRST_BLOCK && preferred <= LAST_BLOCK) order.push(preferred);
  for (let i = FIRST_BLOCK; i <= LAST_BLOCK; i++) if (i !== preferred) order.push(i);
  for (const i of order) {
    const file = join(dir, `${i}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, `${process.pid} ${processStartTime(process.pid)}\n`);
        closeSync(fd);
        return new AddressBlock(i, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (ownerAlive(file)) break;
        rmSync(file, { force: true }); // a dead owner's block: take it on the second attempt
      }
    }
  }
  throw new Error(`no free loopback address block in ${BLOCK_PREFIX}.${FIRST_BLOCK}-${LAST_BLOCK}.0/24 (see ${dir})`);
}
