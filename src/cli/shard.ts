/** `--shard i/n` (as jest's): which part of the work this invocation does, for a CI matrix. */
import { CliError, EXIT } from './exit-codes.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string, flag: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new CliError(`${flag}: expected i/n with 1 ≤ i ≤ n (e.g. 2/3), got "${text}"`, EXIT.USAGE);
  return { index, count };
}

/** Whether item `i` (0-based, in a stable order) belongs to the shard: every n-th, from the i-th. */
export function inShard(i: number, shard: Shard): boolean {
  return i % shard.count === shard.index - 1;
}
