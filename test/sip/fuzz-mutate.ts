/**
 * Deterministic mutation fuzzing for the SIP parser: a seeded PRNG and byte/line level mutation operators.
 * No dependency, no global randomness: the same (seed, case index) always yields the same bytes, so a
 * failing case can be replayed from the two numbers that the fuzz test and bench/fuzz.ts print.
 *
 * Not a test file (no `.test.ts`): shared by test/sip/fuzz.test.ts and bench/fuzz.ts.
 */

/** A small seeded PRNG. */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  next(): number;
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n) (0 when n <= 0). */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32 (Tommy Ettinger): 32 bits of state, good enough statistics for fuzzing, trivially seedable. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = () => next() / 4294967296;
  const int = (n: number) => (n <= 0 ? 0 : Math.floor(float() * n));
  return {
    next,
    float,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => float() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)],
  };
}

/** Seed of one case: (run seed, case index) mixed so that neighbouring cases are unrelated. */
export function caseSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const CR = 0x0d;
const LF = 0x0a;

/** Bytes that SIP's grammar gives a meaning to: replacing a byte by one of these moves a boundary. */
export const SPECIAL_BYTES: readonly number[] = [
  0x00, 0xff, CR, LF, 0x20, 0x09, 0x3a /* : */, 0x3b /* ; */, 0x2c /* , */, 0x3c /* < */, 0x3e /* > */,
  0x22 /* " */, 0x25 /* % */, 0x40 /* @ */, 0x5c /* \ */, 0x3d /* = */, 0x2f /* / */, 0x5b /* [ */, 0x5d /* ] */,
];

/** SIP-ish tokens for insertion: separators, escapes, framing headers and a few header starts. */
export const TOKENS: readonly string[] = [
  '\r\n', '\r\n ', '\r\n\t', '\n', '\r', '\n\n', '\r\n\r\n', ';;', ',,', ';', ',', '<', '>', '<>', '"', '""', '\\', '\\"',
  '%', '%0', '%00', '%zz', '%25', '@', '@@', ':', '::', '[', ']', '[::1]', '=', ' ', '\t', '\0',
  'Content-Length: 99999999999\r\n', 'l: -1\r\n', 'Content-Length: 0\r\n', 'l: 1\r\n', 'Content-Length: 5\r\n',
  'Content-Length:\r\n', 'Content-Length: 4294967296\r\n', 'l: 1e3\r\n',
  'Via: SIP/2.0/UDP ', 'v: SIP/2.0/TCP [::1]:5060;branch=z9hG4bK', ';branch=', ';rport', ';received=', ';ttl=',
  'From: ', 'f: "', 'To: <', 't: ', ';tag=', 'Call-ID: ', 'i: @', 'CSeq: ', 'CSeq: 1 ', 'Max-Forwards: ',
  'Contact: *', 'm: <sip:', 'Route: ', 'Record-Route: <', 'Require: ', 'Supported: ,', 'Expires: ',
  'RSeq: ', 'RAck: 1 1 ', 'Event: ', 'o: x.', 'Subscription-State: ', 'Refer-To: ', 'r: ', 'Session-Expires: ',
  'x: 1;refresher=', 'Content-Type: ', 'c: a/', 'Retry-After: 1 (', 'Warning: 399 h "', 'Date: ',
  'WWW-Authenticate: Digest ', 'Authorization: Digest username="', 'Proxy-Authenticate: Basic ', 'realm="', 'nonce=',
  // Header names that are also keys of Object.prototype: a lookup table keyed by header name must not see them.
  '__proto__: x\r\n', 'constructor: x\r\n', 'toString: x\r\n', 'hasOwnProperty: x\r\n',
  'sip:', 'sips:', 'tel:', 'mailto:', 'sip:a@b', '<sip:a@[::1]>', 'sip:user:pass@host:5060;transport=tcp?h=v',
  'SIP/2.0', 'SIP/2.0 ', 'SIP/2.0 200 OK\r\n', 'INVITE sip:a@b SIP/2.0\r\n', 'sip/2.0', ' SIP/2.0',
  '0', '-1', '4294967295', '4294967296', '99999999999999999999999999', '1.5', 'NaN',
];

/**
 * Characters and short strings repeated to build long runs: catches quadratic scans. Runs of 'A' reach
 * MAX_RUN (64 KB); the other units make one header line, list element or diagnostic every few bytes, which
 * is linear but not cheap work, so their runs stop at MAX_STRUCTURED_RUN to keep each case well within the
 * fuzz test's per-case time budget (a quadratic scan still takes seconds on 16 KB).
 */
export const RUN_UNITS: readonly string[] = [
  'A', 'A', 'A', ' ', '\t', ';', ',', '<', '>', '"', '(', '%', ':', '@', '\\', '\r\n', '\n', '\r\n ', ' \r\n ',
  ';a', ',<sip:a@b>', 'a\r\n', 'X: y\r\n', 'l: 0\r\n', '\r\n\r\n', '\n\n', 'A\r\n\r\n', '"\\', '%2',
];

export const MAX_RUN = 64 * 1024;
export const MAX_STRUCTURED_RUN = 16 * 1024;
/** Mutants are capped so that repeated duplication cannot grow without bound. */
export const MAX_MUTANT = 96 * 1024;

interface Ctx {
  rng: Rng;
  /** Other messages, for splicing. */
  corpus: readonly Buffer[];
  log?: string[];
}

type Operator = (b: Buffer, c: Ctx) => Buffer;

/** A skewed length: mostly short, sometimes up to `max` (log-uniform). */
function skewedLength(rng: Rng, max: number): number {
  const bits = rng.int(Math.floor(Math.log2(max)) + 1);
  return Math.min(max, 1 + rng.int(2 ** bits));
}

/** Start offsets of the lines of b (each line runs to and including its LF). */
function lineStarts(b: Buffer): number[] {
  const out = [0];
  for (let i = b.indexOf(LF); i >= 0 && i + 1 < b.length; i = b.indexOf(LF, i + 1)) out.push(i + 1);
  return out;
}

function lineAt(b: Buffer, starts: number[], k: number): [number, number] {
  return [starts[k], k + 1 < starts.length ? starts[k + 1] : b.length];
}

/** An insertion point: anywhere, or at the start of a line (where a header line must go). */
function insertionPoint(b: Buffer, rng: Rng): number {
  if (b.length === 0) return 0;
  if (rng.chance(0.5)) {
    const starts = lineStarts(b);
    return rng.pick(starts);
  }
  return rng.int(b.length + 1);
}

function span(b: Buffer, rng: Rng, maxLen = b.length): [number, number] {
  const from = rng.int(b.length + 1);
  const len = Math.min(b.length - from, skewedLength(rng, Math.max(1, maxLen)));
  return [from, from + len];
}

function insert(b: Buffer, at: number, what: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), what, b.subarray(at)]);
}

function setByte(b: Buffer, at: number, v: number): Buffer {
  const out = Buffer.from(b);
  out[at] = v;
  return out;
}

const OPERATORS: Array<[string, number, Operator]> = [
  ['flip-bit', 3, (b, { rng, log }) => {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    const bit = rng.int(8);
    log?.push(`flip-bit@${at}.${bit}`);
    return setByte(b, at, b[at] ^ (1 << bit));
  }],
  ['random-byte', 3, (b, { rng, log }) => {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    const v = rng.int(256);
    log?.push(`random-byte@${at}=${v}`);
    return setByte(b, at, v);
  }],
  ['special-byte', 5, (b, { rng, log }) => {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    const v = rng.pick(SPECIAL_BYTES);
    log?.push(`special-byte@${at}=0x${v.toString(16)}`);
    return setByte(b, at, v);
  }],
  ['truncate', 3, (b, { rng, log }) => {
    const at = rng.int(b.length + 1);
    log?.push(`truncate@${at}`);
    return b.subarray(0, at);
  }],
  ['insert-random', 3, (b, { rng, log }) => {
    const at = insertionPoint(b, rng);
    const n = rng.range(1, 16);
    const bytes = Buffer.alloc(n);
    for (let i = 0; i < n; i++) bytes[i] = rng.int(256);
    log?.push(`insert-random@${at}+${n}`);
    return insert(b, at, bytes);
  }],
  ['insert-token', 8, (b, { rng, log }) => {
    const at = insertionPoint(b, rng);
    const t = rng.pick(TOKENS);
    log?.push(`insert-token@${at}=${JSON.stringify(t)}`);
    return insert(b, at, Buffer.from(t, 'latin1'));
  }],
  ['insert-run', 2, (b, { rng, log }) => {
    const at = insertionPoint(b, rng);
    const unit = rng.pick(RUN_UNITS);
    // Half of the runs are long (4 KB to the maximum), where anything quadratic shows.
    const max = unit === 'A' ? MAX_RUN : MAX_STRUCTURED_RUN;
    const len = rng.chance(0.5) ? rng.range(4096, max) : skewedLength(rng, 4096);
    const reps = Math.max(1, Math.floor(len / unit.length));
    log?.push(`insert-run@${at}=${JSON.stringify(unit)}x${reps}`);
    return insert(b, at, Buffer.from(unit.repeat(reps), 'latin1'));
  }],
  ['delete-span', 3, (b, { rng, log }) => {
    const [from, to] = span(b, rng);
    log?.push(`delete-span@${from}-${to}`);
    return Buffer.concat([b.subarray(0, from), b.subarray(to)]);
  }],
  ['duplicate-span', 2, (b, { rng, log }) => {
    const [from, to] = span(b, rng);
    const at = rng.int(b.length + 1);
    log?.push(`duplicate-span@${from}-${to}->${at}`);
    return insert(b, at, Buffer.from(b.subarray(from, to)));
  }],
  ['duplicate-line', 4, (b, { rng, log }) => {
    const starts = lineStarts(b);
    const [from, to] = lineAt(b, starts, rng.int(starts.length));
    // Usually once or twice (duplicate headers), sometimes many times (header floods).
    const times = rng.chance(0.9) ? rng.range(1, 2) : skewedLength(rng, 2000);
    log?.push(`duplicate-line@${from}-${to}x${times}`);
    const line = b.subarray(from, to);
    return Buffer.concat([b.subarray(0, to), ...Array.from({ length: times }, () => line), b.subarray(to)]);
  }],
  ['swap-lines', 3, (b, { rng, log }) => {
    const starts = lineStarts(b);
    if (starts.length < 2) return b;
    let i = rng.int(starts.length);
    let j = rng.int(starts.length);
    if (i === j) return b;
    if (i > j) [i, j] = [j, i];
    const [a0, a1] = lineAt(b, starts, i);
    const [b0, b1] = lineAt(b, starts, j);
    log?.push(`swap-lines@${i},${j}`);
    return Buffer.concat([b.subarray(0, a0), b.subarray(b0, b1), b.subarray(a1, b0), b.subarray(a0, a1), b.subarray(b1)]);
  }],
  ['splice', 3, (b, { rng, corpus, log }) => {
    const other = corpus.length > 0 ? rng.pick(corpus) : b;
    // Cut both at line starts half of the time (a header section grafted onto another message's tail).
    const atLines = rng.chance(0.5);
    const cutA = atLines ? rng.pick(lineStarts(b)) : rng.int(b.length + 1);
    const cutB = atLines ? rng.pick(lineStarts(other)) : rng.int(other.length + 1);
    log?.push(`splice@${cutA}+other@${cutB}`);
    return Buffer.concat([b.subarray(0, cutA), other.subarray(cutB)]);
  }],
];

const TOTAL_WEIGHT = OPERATORS.reduce((s, [, w]) => s + w, 0);

function pickOperator(rng: Rng): Operator {
  let r = rng.int(TOTAL_WEIGHT);
  for (const [, w, op] of OPERATORS) {
    if (r < w) return op;
    r -= w;
  }
  return OPERATORS[0][2];
}

export interface MutateOptions {
  /** Other messages to splice with (the input itself when absent). */
  corpus?: readonly Buffer[];
  /** Receives one line per operator applied, for failure reports. */
  log?: string[];
}

/** Apply 1-4 random mutation operators to buf (which is not modified). */
export function mutate(buf: Buffer, rng: Rng, options: MutateOptions = {}): Buffer {
  const ctx: Ctx = { rng, corpus: options.corpus ?? [], log: options.log };
  let b = buf;
  const n = rng.range(1, 4);
  for (let k = 0; k < n; k++) {
    b = pickOperator(rng)(b, ctx);
    if (b.length > MAX_MUTANT) {
      b = b.subarray(0, MAX_MUTANT);
      options.log?.push(`cap@${MAX_MUTANT}`);
    }
  }
  return b;
}

export interface FuzzCase {
  index: number;
  /** caseSeed(seed, index): what mulberry32 was seeded with. */
  seed: number;
  /** Index in the corpus of the message that was mutated. */
  source: number;
  bytes: Buffer;
  ops: string[];
}

/** Case `index` of the run `seed` over `corpus`: a pure function of its arguments (replayable). */
export function fuzzCase(seed: number, index: number, corpus: readonly Buffer[]): FuzzCase {
  const s = caseSeed(seed, index);
  const rng = mulberry32(s);
  const source = rng.int(corpus.length);
  const ops: string[] = [];
  const bytes = mutate(corpus[source], rng, { corpus, log: ops });
  return { index, seed: s, source, bytes, ops };
}

/** First `max` bytes, escaped so that CR, LF and binary are visible in a failure message. */
export function escapeBytes(b: Buffer, max = 200): string {
  let out = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === CR) out += '\\r';
    else if (c === LF) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + (b.length > max ? `… (${b.length} bytes)` : '');
}
