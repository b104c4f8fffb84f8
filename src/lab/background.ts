/**
 * Background tests: some behaviour can only be seen after a real-time wait the RFC fixes (RFC 4028's session
 * interval is at least 90 s, so a refresh comes at 45 s and a lapsed session ends at 60 s). Run one after the
 * other, such tests would make a suite last the sum of its waits. A background test starts as soon as the
 * target is up and runs while the file's other tests do; jest reports it at the end of its describe block,
 * where the test only waits for what is left of it. It gets an address block of its own, so its parties
 * don't meet the other tests' (a registrar would fork their calls to each other) and its capture sees its
 * own exchange only, while every other test's capture leaves that block out.
 */
import { claimAddressBlock, type AddressBlock } from './address-block.js';
import type { Lab } from './fixture.js';
import type { TestRun } from './test-run.js';

interface BackgroundTest {
  fullName: string;
  fn: (lab: Lab) => Promise<void>;
  block?: AddressBlock;
  run?: TestRun;
  /** Settles with the body's failure, or undefined when it passed. */
  outcome?: Promise<unknown>;
}

export class Backgrounds {
  private readonly tests = new Map<string, BackgroundTest>();

  add(fullName: string, fn: (lab: Lab) => Promise<void>): void {
    this.tests.set(fullName, { fullName, fn });
  }

  has(fullName: string): boolean {
    return this.tests.has(fullName);
  }

  get size(): number {
    return this.tests.size;
  }

  /** A capture filter for a test in the foreground: the same, less the background tests' blocks. */
  exclude(filter: string): string {
    const blocks = [...this.tests.values()].flatMap((t) => (t.block ? [`net ${t.block.cidr}`] : []));
    return blocks.length ? `(${filter}) and not (${blocks.join(' or ')})` : filter;
  }

  /**
   * Starts every background test on `lab`'s running target. `begin` opens a test's run (its capture on its
   * own block, which it is given) on a view of the lab with that block.
   */
  async startAll(begin: (fullName: string, block: AddressBlock) => Promise<{ lab: Lab; run: TestRun }>): Promise<void> {
    for (const t of this.tests.values()) {
      t.block = claimAddressBlock();
      const { lab, run } = await begin(t.fullName, t.block);
      t.run = run;
      // Caught here, judged when jest reaches the test: an early failure must not be an unhandled rejection.
      t.outcome = t.fn(lab).then(
        () => undefined,
        (e: unknown) => e ?? new Error(`background test "${t.fullName}" failed`),
      );
    }
  }

  /** The jest test of a background test: waits for the rest of it, then keeps its evidence and gives its verdict. */
  async settle(fullName: string): Promise<void> {
    const t = this.tests.get(fullName);
    if (!t?.run || !t.outcome) throw new Error(`background test "${fullName}" never started: see the set-up failure`);
    let failure = await t.outcome;
    try {
      await t.run.finish();
    } catch (e) {
      failure ??= e;
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * After the file: a background test jest never reached (a name filter, a failed set-up) still ran, so its
   * user agents are awaited and its capture stopped before the target goes.
   */
  async stopAll(): Promise<void> {
    for (const t of this.tests.values()) {
      await t.outcome;
      await t.run?.abandon();
      t.block?.release();
      t.block = undefined;
    }
  }
}
