/**
 * What a jest worker keeps for all the test files it runs (Playwright's worker fixtures): its address block,
 * the addresses of its nodes, and the targets it started, each once per worker and target rather than once per
 * describeLab block. The store lives in the jest environment module (jest-environment.ts), which jest loads
 * once per worker, and reaches each test file as a global; test files only ever see this interface.
 */
import type { StartedKamailio } from '../../drivers/kamailio/index.js';
import { claimAddressBlock, type AddressBlock } from './address-block.js';
import { startPeer } from './peer.js';
import { PortEpochs } from './port-epochs.js';
import type { LabConfig } from './schema.js';
import { startTarget, type StartedTarget } from './started-target.js';
import type { TargetPlan } from './target.js';

export const WORKER_STORE_GLOBAL = '__sipwrightWorker';

interface Shared {
  value: Promise<unknown>;
  stop: (value: unknown) => Promise<void>;
}

export class WorkerStore {
  private addressBlock?: AddressBlock;
  private readonly hosts = new Map<string, string>();
  private readonly portBases = new Map<string, number>();
  /** Which ports each party used last, over TCP (port-epochs.ts): for the worker's whole life. */
  readonly epochs = new PortEpochs();
  private readonly shared = new Map<string, Shared>();

  /** The worker's address block, claimed on first use and held until the worker ends. */
  block(preferred?: number): AddressBlock {
    this.addressBlock ??= claimAddressBlock(preferred);
    return this.addressBlock;
  }

  /** An address of the block kept for `key` (a node, a party) for the worker's whole life. */
  host(key: string): string {
    let h = this.hosts.get(key);
    if (!h) {
      h = this.block().allocateHost();
      this.hosts.set(key, h);
    }
    return h;
  }

  /** `n` consecutive ports of the block kept for `key` (a party sharing an address) for the worker's whole life. */
  ports(key: string, n: number): number {
    let p = this.portBases.get(key);
    if (p === undefined) {
      p = this.block().allocatePorts(n);
      this.portBases.set(key, p);
    }
    return p;
  }

  /**
   * The value made once per worker for `key` (a started target). A start that fails is forgotten, so the next
   * file tries again rather than inheriting the failure.
   */
  once<T>(key: string, make: () => Promise<T>, stop: (value: T) => Promise<void>): Promise<T> {
    const have = this.shared.get(key);
    if (have) return have.value as Promise<T>;
    const value = make();
    this.shared.set(key, { value, stop: stop as (v: unknown) => Promise<void> });
    value.catch(() => this.shared.delete(key));
    return value;
  }

  /**
   * The worker's target for `key`, started on its block the first time. It is started by this module, the one
   * the environment loaded, not by the test file that asks first: jest tears a file's modules down when the
   * file is done, and a target made by them would stop working for the worker's later files.
   */
  target(key: string, plan: TargetPlan, lab: LabConfig): Promise<StartedTarget> {
    return this.once(`target ${key}`, () => startTarget(plan, this.block(), lab), (t) => t.stop());
  }

  /** The other domain's proxy beside the target of `key` (see peer.ts), started once per worker. */
  peer(key: string, target: StartedTarget, lab: LabConfig): Promise<StartedKamailio> {
    return this.once(`peer ${key}`, () => startPeer(target, lab), (k) => k.stop());
  }

  /** Stops everything it holds, last started first, and releases the block (a run in one process). */
  async stopAll(): Promise<void> {
    const all = [...this.shared.values()].reverse();
    this.shared.clear();
    for (const s of all) {
      try {
        await s.stop(await s.value);
      } catch {
        /* a start that failed has nothing to stop */
      }
    }
    this.addressBlock?.release();
    this.addressBlock = undefined;
    this.hosts.clear();
    this.portBases.clear();
  }

  /** For an exit handler: forgets what it holds (the caller kills the processes) and releases the block. */
  releaseSync(): void {
    this.shared.clear();
    this.addressBlock?.release();
    this.addressBlock = undefined;
    this.hosts.clear();
    this.portBases.clear();
  }
}

/** The worker's store, when the suites run in sipwright's jest environment; undefined in a plain one. */
export function workerStore(): WorkerStore | undefined {
  return (globalThis as Record<string, unknown>)[WORKER_STORE_GLOBAL] as WorkerStore | undefined;
}
