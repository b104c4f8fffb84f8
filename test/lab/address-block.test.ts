import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimAddressBlock } from '../../src/lab/address-block.js';

describe('address blocks', () => {
  const saved = process.env.SIPWRIGHT_STATE_DIR;
  let state: string;
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'sipwright-blocks-'));
    process.env.SIPWRIGHT_STATE_DIR = state;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SIPWRIGHT_STATE_DIR;
    else process.env.SIPWRIGHT_STATE_DIR = saved;
    rmSync(state, { recursive: true, force: true });
  });

  test('a claimed block is never handed out twice, and its lock holds the owner from the first byte', () => {
    const a = claimAddressBlock(7);
    const b = claimAddressBlock(7);
    expect(a.index).toBe(7);
    expect(b.index).not.toBe(7);
    expect(readFileSync(join(state, 'blocks', '7.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\\n$`));
    // No temporary files are left beside the locks.
    expect(readdirSync(join(state, 'blocks')).sort()).toEqual([`${a.index}.lock`, `${b.index}.lock`].sort());
    a.release();
    b.release();
  });

  test('each block (one per jest worker) has ports of its own: parties sharing a remote target\'s local address never collide', () => {
    const blocks = [claimAddressBlock(3), claimAddressBlock(4), claimAddressBlock(5)];
    try {
      const ranges = blocks.map((b) => b.portRange);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
      for (const b of blocks) {
        const [lo, hi] = b.portRange;
        const first = b.allocatePorts(4);
        expect(first).toBeGreaterThanOrEqual(lo);
        expect(first + 3).toBeLessThan(hi);
        // The last port is the capture markers': never handed to a party.
        expect(b.markerPort).toBe(hi);
      }
    } finally {
      for (const b of blocks) b.release();
    }
  });

  test("a dead owner's block is taken over, under the takeover mutex, which is removed afterwards", () => {
    const dir = join(state, 'blocks');
    claimAddressBlock(3).release();
    writeFileSync(join(dir, '3.lock'), '999999999 1\n'); // a pid that cannot exist
    const taken = claimAddressBlock(3);
    expect(taken.index).toBe(3);
    expect(readFileSync(join(dir, '3.lock'), 'utf8').startsWith(`${process.pid} `)).toBe(true);
    expect(readdirSync(dir)).not.toContain('.takeover');
    taken.release();
  });

  test('a mutex left by a crashed claimer does not block others: the block is still found free elsewhere', () => {
    const dir = join(state, 'blocks');
    claimAddressBlock(5).release();
    writeFileSync(join(dir, '.takeover'), '');
    writeFileSync(join(dir, '5.lock'), '999999999 1\n');
    const other = claimAddressBlock(5);
    expect(other.index).not.toBe(5); // the takeover waits for the mutex; a fresh block is taken instead
    other.release();
  });
});
