/**
 * Long fuzz run of the SIP parser: the cases and invariants of test/sip/fuzz.test.ts, many more of them.
 *
 *   npm run build && node dist/bench/fuzz.js --cases 200000
 *   node dist/bench/fuzz.js --seed 1579107445 --cases 200000     # repeat a run
 *   node dist/bench/fuzz.js --seed 1579107445 --case 4711        # replay one case, with its bytes
 *
 * Node 20 cannot run TypeScript, so this runs compiled: tsc (rootDir ".") puts it in dist/bench/fuzz.js,
 * whose imports resolve to dist/test/sip/fuzz-*.js and through them to the compiled parser in
 * dist/src/sip/parser.js. (The source imports the .ts files by their .js names, as everywhere in this
 * project; importing ../dist/... from here would not type check and would resolve to dist/dist/ once built.)
 *
 * Options: --cases N (200000), --seed S (random, printed), --case I (only case I), --budget-ms B (250: a
 * case slower than this fails), --no-validate (skip message.validate()), --max-report K (10).
 * Prints cases/s, how many cases gave a message or only diagnostics (per framing), and every failure with
 * the seed and case index that replay it. Exit status 1 when any case failed, 2 on bad arguments.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { escapeBytes, fuzzCase } from '../test/sip/fuzz-mutate.js';
import { loadCorpus, timedCheck } from '../test/sip/fuzz-oracle.js';

interface Options {
  cases: number;
  seed: number;
  only?: number;
  budgetMs: number;
  validate: boolean;
  maxReport: number;
}

function usage(msg: string): never {
  console.error(`fuzz: ${msg}\nusage: node dist/bench/fuzz.js [--cases N] [--seed S] [--case I] [--budget-ms B] [--no-validate] [--max-report K]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { cases: 200_000, seed: randomInt(2 ** 32 - 1), budgetMs: 250, validate: true, maxReport: 10 };
  const num = (i: number, name: string): number => {
    const v = argv[i + 1];
    if (v === undefined || !/^(\d+|0x[0-9a-f]+)$/i.test(v)) usage(`${name} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cases') o.cases = num(i++, a);
    else if (a === '--seed') o.seed = num(i++, a) >>> 0;
    else if (a === '--case') o.only = num(i++, a);
    else if (a === '--budget-ms') o.budgetMs = num(i++, a);
    else if (a === '--max-report') o.maxReport = num(i++, a);
    else if (a === '--no-validate') o.validate = false;
    else if (a === '--help' || a === '-h') usage('help');
    else usage(`unknown argument ${a}`);
  }
  return o;
}

/** test/vectors of the repository, whether this runs as dist/bench/fuzz.js or from bench/. */
function vectorsDir(): string {
  const candidates = ['../../test/vectors', '../test/vectors'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  candidates.push(`${process.cwd()}/test/vectors`);
  const found = candidates.find((d) => existsSync(`${d}/rfc4475`));
  if (!found) usage(`test vectors not found (looked in ${candidates.join(', ')})`);
  return found;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const { files, corpus } = loadCorpus(vectorsDir());
  const indices = o.only !== undefined ? [o.only] : Array.from({ length: o.cases }, (_, i) => i);
  console.log(`fuzz: seed ${o.seed}, ${indices.length} cases over ${corpus.length} messages, budget ${o.budgetMs} ms/case${o.validate ? '' : ', no validate()'}`);

  const outcomes = { datagram: new Map<string, number>(), stream: new Map<string, number>() };
  const count = (m: Map<string, number>, k: string | undefined) => m.set(k ?? 'error', (m.get(k ?? 'error') ?? 0) + 1);
  let failed = 0;
  let bytesTotal = 0;
  let slowest = { ms: 0, index: -1, length: 0 };
  const t0 = performance.now();
  let lastProgress = t0;
  let done = 0;
  for (const i of indices) {
    done++;
    const c = fuzzCase(o.seed, i, corpus);
    bytesTotal += c.bytes.length;
    const r = timedCheck(c.bytes, { validate: o.validate }, o.budgetMs);
    count(outcomes.datagram, r.datagram);
    count(outcomes.stream, r.stream);
    if (r.ms > slowest.ms) slowest = { ms: r.ms, index: i, length: c.bytes.length };
    const v = [...r.violations];
    if (r.ms > o.budgetMs) v.push(`took ${r.ms.toFixed(0)} ms (budget ${o.budgetMs} ms) for ${c.bytes.length} bytes`);
    if (v.length > 0 || o.only !== undefined) {
      if (v.length > 0) failed++;
      if (failed <= o.maxReport || o.only !== undefined) {
        console.log([
          `${v.length > 0 ? 'FAIL' : 'ok'} case ${i} seed ${o.seed} (replay: node dist/bench/fuzz.js --seed ${o.seed} --case ${i}); source ${files[c.source].split('/').slice(-2).join('/')}; ops ${c.ops.join(' ')}`,
          ...v.map((x) => '  ' + x.replace(/\n/g, '\n    ')),
          `  bytes: "${escapeBytes(c.bytes, o.only !== undefined ? 2000 : 200)}"`,
        ].join('\n'));
      }
    }
    const now = performance.now();
    if (now - lastProgress > 10_000) {
      lastProgress = now;
      console.log(`  … ${done} cases, ${(done / ((now - t0) / 1000)).toFixed(0)} cases/s, ${failed} failed`);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const fmt = (m: Map<string, number>) => [...m].sort().map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`fuzz: ${indices.length} cases in ${secs.toFixed(1)} s: ${(indices.length / secs).toFixed(0)} cases/s, ${(bytesTotal / secs / 1e6).toFixed(1)} MB/s`);
  console.log(`  datagram: ${fmt(outcomes.datagram)}   (message = parsed; diagnostics = diagnostics only)`);
  console.log(`  stream:   ${fmt(outcomes.stream)}   (incomplete = needs more bytes)`);
  console.log(`  slowest case ${slowest.index}: ${slowest.ms.toFixed(1)} ms for ${slowest.length} bytes`);
  if (failed > 0) {
    console.log(`FAILED: ${failed} of ${indices.length} cases broke an invariant (seed ${o.seed})${failed > o.maxReport ? `; the first ${o.maxReport} are shown` : ''}`);
    process.exit(1);
  }
  console.log('fuzz: all invariants held');
}

main();
