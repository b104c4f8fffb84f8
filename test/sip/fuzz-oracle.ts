/**
 * The invariants every input must satisfy, whatever its bytes: shared by test/sip/fuzz.test.ts and
 * bench/fuzz.ts. A violation is returned as text (exceptions included), never thrown, so that the caller can
 * report it together with the seed and case index that reproduce it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseMessage, parseStream, type ParseResult } from '../../src/sip/parser.js';
import type { AnySipMessage } from '../../src/sip/message.js';

export type Outcome = 'message' | 'diagnostics' | 'incomplete';

export interface CheckResult {
  violations: string[];
  datagram?: Outcome;
  stream?: Outcome;
}

export interface CheckOptions {
  /** Run message.validate() (the deep header grammar); the typed accessors always run. */
  validate?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

function leadingCrlf(b: Buffer): number {
  let i = 0;
  while (i < b.length && (b[i] === CR || b[i] === LF)) i++;
  return i;
}

function errText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return String(e);
}

/** Every typed accessor of the message model (each parses on demand, so each can throw on its own). */
const ACCESSORS: Array<[string, (m: AnySipMessage) => unknown]> = [
  ['callId', (m) => m.callId],
  ['cseq', (m) => m.cseq],
  ['from', (m) => m.from],
  ['to', (m) => m.to],
  ['fromTag', (m) => m.fromTag],
  ['toTag', (m) => m.toTag],
  ['vias', (m) => m.vias],
  ['topVia', (m) => m.topVia],
  ['branch', (m) => m.branch],
  ['contacts', (m) => m.contacts],
  ['isContactStar', (m) => m.isContactStar],
  ['routes', (m) => m.routes],
  ['recordRoutes', (m) => m.recordRoutes],
  ['rack', (m) => m.rack],
  ['rseq', (m) => m.rseq],
  ['sessionExpires', (m) => m.sessionExpires],
  ['minSE', (m) => m.minSE],
  ['event', (m) => m.event],
  ['subscriptionState', (m) => m.subscriptionState],
  ['referTo', (m) => m.referTo],
  ['maxForwards', (m) => m.maxForwards],
  ['expires', (m) => m.expires],
  ['contentLength', (m) => m.contentLength],
  ['contentType', (m) => m.contentType],
  ["optionTags('require')", (m) => m.optionTags('require')],
  ["optionTags('supported')", (m) => m.optionTags('supported')],
  ['method', (m) => m.method],
  ['uri', (m) => (m.kind === 'request' ? m.uri : undefined)],
  ['bodyText', (m) => m.bodyText],
  ['bodyOffset', (m) => m.bodyOffset],
  ["getAll('via')", (m) => m.getAll('via')],
  ['toString', (m) => m.toString()],
];

function checkFraming(bytes: Buffer, framing: 'datagram' | 'stream', opts: CheckOptions, v: string[]): Outcome | undefined {
  const p = (s: string) => v.push(`[${framing}] ${s}`);
  let r: ParseResult;
  try {
    r = parseMessage(bytes, { framing });
  } catch (e) {
    p(`parseMessage threw ${errText(e)}`);
    return undefined;
  }
  if (!Array.isArray(r.diagnostics)) { p('diagnostics is not an array'); return undefined; }
  if (!Number.isInteger(r.consumed) || r.consumed < 0 || r.consumed > bytes.length) {
    p(`consumed ${r.consumed} is not within 0..${bytes.length}`);
  }
  for (const d of r.diagnostics) {
    if (!Number.isInteger(d.offset) || d.offset < 0 || d.offset > bytes.length) p(`diagnostic ${d.code} has offset ${d.offset} outside 0..${bytes.length}`);
  }
  if (r.incomplete) {
    // "Need more bytes" is the third legal outcome, and only on a stream: nothing is consumed or built.
    if (framing !== 'stream') p('incomplete on datagram framing');
    if (r.consumed !== 0) p(`incomplete but consumed ${r.consumed}`);
    if (r.message) p('incomplete but a message was returned');
    return 'incomplete';
  }
  const m = r.message;
  if (!m) {
    if (r.diagnostics.length === 0) p('neither a message nor a diagnostic (an empty "nothing")');
    return 'diagnostics';
  }
  const lead = leadingCrlf(bytes);
  if (framing === 'datagram' && r.consumed !== bytes.length) p(`datagram consumed ${r.consumed} of ${bytes.length} bytes`);

  let wire: Buffer | undefined;
  try {
    wire = m.toBuffer();
  } catch (e) {
    p(`toBuffer threw ${errText(e)}`);
  }
  if (wire) {
    if (framing === 'datagram') {
      const got = Buffer.concat([wire, m.trailing]);
      const want = bytes.subarray(lead);
      if (!got.equals(want)) p(`toBuffer()+trailing (${got.length} bytes) != input after its ${lead} leading CR/LF (${want.length} bytes); first difference at ${firstDiff(got, want)}`);
    } else {
      const want = bytes.subarray(lead, r.consumed);
      if (!wire.equals(want)) p(`toBuffer() (${wire.length} bytes) != the ${want.length} consumed bytes after ${lead} leading CR/LF; first difference at ${firstDiff(wire, want)}`);
      if (m.trailing.length !== 0) p(`stream message has ${m.trailing.length} trailing bytes`);
    }
  }
  for (const [name, get] of ACCESSORS) {
    try {
      get(m);
    } catch (e) {
      p(`accessor ${name} threw ${errText(e)}`);
    }
  }
  if (opts.validate) {
    try {
      const all = m.validate();
      if (!Array.isArray(all)) p('validate() did not return an array');
    } catch (e) {
      p(`validate() threw ${errText(e)}`);
    }
  }
  return 'message';
}

function firstDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Check one input in both framings and through parseStream. */
export function checkBytes(bytes: Buffer, opts: CheckOptions = {}): CheckResult {
  const violations: string[] = [];
  const datagram = checkFraming(bytes, 'datagram', opts, violations);
  const stream = checkFraming(bytes, 'stream', opts, violations);
  try {
    // parseStream loops while messages consume bytes: it must end, and leave a suffix of its input.
    const s = parseStream(bytes);
    if (s.rest.length > bytes.length || !s.rest.equals(bytes.subarray(bytes.length - s.rest.length))) {
      violations.push('[parseStream] rest is not a suffix of the input');
    }
  } catch (e) {
    violations.push(`[parseStream] threw ${errText(e)}`);
  }
  return { violations, datagram, stream };
}

export interface TimedCheck extends CheckResult {
  /** Time of checkBytes in ms; when over budget, the better of two runs. */
  ms: number;
}

/**
 * checkBytes with its time. A run over `budgetMs` is repeated once and the faster run counts, so that a GC
 * pause or a busy core is not taken for quadratic behaviour (which is just as slow the second time).
 */
export function timedCheck(bytes: Buffer, opts: CheckOptions, budgetMs: number): TimedCheck {
  let t = performance.now();
  const r = checkBytes(bytes, opts);
  let ms = performance.now() - t;
  if (ms > budgetMs) {
    t = performance.now();
    checkBytes(bytes, opts);
    ms = Math.min(ms, performance.now() - t);
  }
  return { ...r, ms };
}

/** The acceptance set: every .dat of rfc4475/ and rfc5118/ under `vectorsDir`, in a stable order. */
export function loadCorpus(vectorsDir: string): { files: string[]; corpus: Buffer[] } {
  const files = ['rfc4475', 'rfc5118'].flatMap((d) =>
    readdirSync(join(vectorsDir, d)).filter((f) => f.endsWith('.dat')).sort().map((f) => join(vectorsDir, d, f)));
  return { files, corpus: files.map((f) => readFileSync(f)) };
}
