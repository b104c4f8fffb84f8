/**
 * A rendered kamailio.cfg cut into its top-level blocks (`request_route {`, `route[NAME] {`, … up to the first
 * `}` at the start of a line) and the text around them, so two renderings can be compared block by block.
 */

export interface CfgBlocks {
  /** Every line outside a block, with each block standing as one `<block NAME>` line: globals, comments, order. */
  skeleton: string[];
  /** Each block's lines, its opening and closing line included. */
  blocks: Map<string, string[]>;
}

const OPENING = /^((?:[a-z]+_)?route(?:\[[^\]]+\])?)\s*\{\s*$/;

export function cfgBlocks(cfg: string): CfgBlocks {
  const skeleton: string[] = [];
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of cfg.split('\n')) {
    if (current) {
      current.push(line);
      if (line === '}') current = undefined;
      continue;
    }
    const name = OPENING.exec(line)?.[1];
    if (name === undefined) {
      skeleton.push(line);
      continue;
    }
    if (blocks.has(name)) throw new Error(`the config has two blocks named ${name}`);
    current = [line];
    blocks.set(name, current);
    skeleton.push(`<block ${name}>`);
  }
  if (current) throw new Error(`block ${[...blocks.keys()].pop()} is not closed`);
  return { skeleton, blocks };
}
