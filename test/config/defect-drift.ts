/**
 * Holds a broken Kamailio rendering to what its defect declares (drivers/kamailio/defects.ts): it changes only
 * the blocks it names, takes out there exactly the good lines it names, and keeps every other good line, in
 * order. What it adds is free. A hand copy of a route fails this as soon as the good route moves on, since
 * the copy then lacks good lines it never declared.
 */
import type { KamailioBlock, KamailioDefectSpec, RemovedLines } from '../../drivers/kamailio/defects.js';
import { cfgBlocks } from './cfg-blocks.js';

type Step = { op: ' ' | '-' | '+'; line: string };

/** A longest-common-subsequence alignment of two line lists: blocks are tens of lines, so O(n·m) is nothing. */
function align(a: string[], b: string[]): Step[] {
  const n = a.length;
  const m = b.length;
  const len: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) len[i][j] = a[i] === b[j] ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
  const steps: Step[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      steps.push({ op: ' ', line: a[i++] });
      j++;
    } else if (i < n && (j === m || len[i + 1][j] >= len[i][j + 1])) steps.push({ op: '-', line: a[i++] });
    else steps.push({ op: '+', line: b[j++] });
  }
  return steps;
}

function shown(steps: Step[]): string {
  return steps.map((s) => `${s.op} ${s.line}`).join('\n');
}

const quoted = (line: string) => `\`${line}\``;

function isSubsequence(sub: string[], of: string[]): boolean {
  let i = 0;
  for (const line of of) if (i < sub.length && line === sub[i]) i++;
  return i === sub.length;
}

/** The indices of the good lines a declaration names, in order; each line is matched without its indentation. */
function locate(lines: string[], removals: readonly RemovedLines[]): { indices: Set<number>; missing: string[] } {
  const indices = new Set<number>();
  const missing: string[] = [];
  let from = 0;
  const find = (text: string, start: number) => lines.findIndex((l, i) => i >= start && l.trim() === text);
  for (const r of removals) {
    const [first, last] = typeof r === 'string' ? [r, r] : r;
    const i = find(first, from);
    const j = i < 0 ? -1 : find(last, i);
    if (j < 0) {
      missing.push(typeof r === 'string' ? r : `${first} … ${last}`);
      continue;
    }
    for (let k = i; k <= j; k++) indices.add(k);
    from = j + 1;
  }
  return { indices, missing };
}

/** Every way `broken` differs from `good` that `spec` does not declare; empty when the defect is exactly itself. */
export function undeclaredChanges(good: string, broken: string, spec: KamailioDefectSpec): string[] {
  const g = cfgBlocks(good);
  const b = cfgBlocks(broken);
  const problems: string[] = [];
  if (g.skeleton.join('\n') !== b.skeleton.join('\n')) problems.push(`outside the blocks:\n${shown(align(g.skeleton, b.skeleton).filter((s) => s.op !== ' '))}`);
  const declared = Object.keys(spec.touches) as KamailioBlock[];
  for (const name of declared) if (!g.blocks.has(name)) problems.push(`it declares ${name}, which the config does not have`);
  for (const [name, lines] of g.blocks) {
    const other = b.blocks.get(name);
    if (!other) continue;
    const removals = spec.touches[name as KamailioBlock];
    if (!removals) {
      if (other.join('\n') !== lines.join('\n')) problems.push(`${name}, which it does not declare, changed:\n${shown(align(lines, other))}`);
      continue;
    }
    if (other.join('\n') === lines.join('\n')) {
      problems.push(`${name}: declared, but left as it is`);
      continue;
    }
    const { indices, missing } = locate(lines, removals);
    if (missing.length > 0) problems.push(`${name}: it declares taking out ${missing.map(quoted).join(', ')}, which the good block does not have`);
    const kept = lines.filter((_, i) => !indices.has(i));
    const common = align(lines, other).filter((s) => s.op === ' ').length;
    // Kept in order and nothing more in common: exactly the declared lines went, whatever was added.
    if (!isSubsequence(kept, other) || common !== kept.length) {
      const expected = [...indices].map((i) => lines[i].trim());
      problems.push(`${name}: it may take out only ${expected.length ? expected.map(quoted).join(', ') : 'nothing'} and add lines; it differs from the good block by:\n${shown(align(lines, other))}`);
    }
  }
  return problems;
}
