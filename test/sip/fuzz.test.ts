/**
 * Deterministic mutation fuzzing of the SIP parser over the acceptance set (RFC 4475 + RFC 5118 messages).
 * Each case is a pure function of (seed, index), see fuzz-mutate.ts. The invariants are in fuzz-oracle.ts:
 * no exception anywhere (parse, validate, every typed accessor, toBuffer), a message or a diagnostic (or
 * "incomplete" on a stream), consumed within the input, exact re-serialization, parseStream terminates.
 *
 * Replay one case:   FUZZ_SEED=<seed> FUZZ_CASE=<index> npm run -s test:jest -- test/sip/fuzz.test.ts
 * Another run:       FUZZ_SEED=<seed> FUZZ_CASES=<n> npm run -s test:jest -- test/sip/fuzz.test.ts
 * Longer runs:       bench/fuzz.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkBytes, loadCorpus, timedCheck } from './fuzz-oracle.js';
import { escapeBytes, fuzzCase, mulberry32, mutate } from './fuzz-mutate.js';

const { files: FILES, corpus: CORPUS } = loadCorpus(join(process.cwd(), 'test/vectors'));

const SEED = Number(process.env.FUZZ_SEED ?? 0x5e1f4475) >>> 0;
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
/** A single case slower than this is a bug (quadratic scan, catastrophic regex backtracking, a loop). */
const CASE_BUDGET_MS = 250;
const MAX_REPORTED = 5;

function report(index: number, what: string[]): string {
  const c = fuzzCase(SEED, index, CORPUS);
  return [
    `case ${index} of seed ${SEED} (replay: FUZZ_SEED=${SEED} FUZZ_CASE=${index}); source ${FILES[c.source].split('/').slice(-2).join('/')}; ops ${c.ops.join(' ')}`,
    ...what.map((w) => '  ' + w.replace(/\n/g, '\n    ')),
    `  bytes: "${escapeBytes(c.bytes)}"`,
  ].join('\n');
}

describe('SIP parser fuzzing', () => {
  test('the corpus is the 50 RFC 4475 and 12 RFC 5118 messages', () => {
    expect(CORPUS.length).toBe(62);
  });

  test('every unmutated message satisfies the invariants', () => {
    const bad = CORPUS.map((b, i) => [FILES[i], checkBytes(b, { validate: true }).violations] as const).filter(([, v]) => v.length > 0);
    expect(bad).toEqual([]);
  });

  test('mutation is deterministic per (seed, index)', () => {
    for (const i of [0, 1, 977, 9999]) {
      const a = fuzzCase(SEED, i, CORPUS);
      const b = fuzzCase(SEED, i, CORPUS);
      expect(b.bytes.equals(a.bytes)).toBe(true);
      expect(b.ops).toEqual(a.ops);
    }
    expect(mutate(CORPUS[0], mulberry32(7)).equals(mutate(CORPUS[0], mulberry32(7)))).toBe(true);
    // The input is never modified in place.
    const copy = Buffer.from(CORPUS[3]);
    for (let k = 0; k < 200; k++) mutate(CORPUS[3], mulberry32(k), { corpus: CORPUS });
    expect(CORPUS[3].equals(copy)).toBe(true);
  });

  test(`${ONLY === undefined ? CASES : 1} mutated cases (seed ${SEED}): no throw, no hang, exact framing`, () => {
    const failures: string[] = [];
    let failed = 0;
    const outcomes: Record<string, number> = {};
    let slowest = { ms: 0, index: -1 };
    const t0 = performance.now();
    const indices = ONLY === undefined ? Array.from({ length: CASES }, (_, i) => i) : [ONLY];
    for (const i of indices) {
      const { bytes } = fuzzCase(SEED, i, CORPUS);
      // validate() (the deep header grammar) runs on every case: the whole run stays well under budget.
      const r = timedCheck(bytes, { validate: true }, CASE_BUDGET_MS);
      const ms = r.ms;
      if (ms > slowest.ms) slowest = { ms, index: i };
      const v = [...r.violations];
      if (ms > CASE_BUDGET_MS) v.push(`took ${ms.toFixed(0)} ms (budget ${CASE_BUDGET_MS} ms) for ${bytes.length} bytes`);
      const key = `${r.datagram}/${r.stream}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (v.length > 0) {
        failed++;
        if (failures.length < MAX_REPORTED) failures.push(report(i, v));
      }
    }
    const total = performance.now() - t0;
    if (failed > 0) {
      throw new Error(`${failed} of ${indices.length} fuzz cases broke an invariant (seed ${SEED}); first ${failures.length}:\n\n${failures.join('\n\n')}`);
    }
    // Outcomes as datagram/stream, for whoever tunes the mutator; printed only when asked.
    if (process.env.FUZZ_VERBOSE) {
      console.log(`fuzz: ${indices.length} cases in ${total.toFixed(0)} ms, slowest case ${slowest.index} ${slowest.ms.toFixed(1)} ms`, outcomes);
    }
    expect(failed).toBe(0);
  }, 120_000);
});
