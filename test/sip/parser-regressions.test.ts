/**
 * Parser bugs found by the fuzzer (test/sip/fuzz.test.ts), each with the smallest input that shows it.
 * The timing tests use inputs on which the old code took seconds and the fixed code takes milliseconds, so
 * their generous bounds only catch a return of the quadratic behaviour, not a slow machine.
 */
import { performance } from 'node:perf_hooks';
import { parseMessage, parseStream } from '../../src/sip/parser.js';
import { unfold } from '../../src/sip/split.js';
import { parseVia } from '../../src/sip/headers/via.js';
import { parseRetryAfter } from '../../src/sip/headers/scalars.js';
import { parseAuthParamList } from '../../src/sip/auth-params.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

function parse(s: string, framing: 'datagram' | 'stream' = 'datagram') {
  const r = parseMessage(bytes(s), { framing });
  if (!r.message) throw new Error(`no message: ${r.diagnostics.map((d) => d.code).join(', ')}`);
  return r.message;
}

function codes(s: string): string[] {
  return parse(s).validate().map((d) => d.code);
}

/** Time of fn in ms (best of two, so that a GC pause does not count). */
function timeOf(fn: () => void): number {
  let best = Infinity;
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

const SLOW_MS = 1000;

describe('parser regressions found by fuzzing', () => {
  describe('re-serialization keeps every byte', () => {
    test('a continuation line right after the start line is kept (was dropped)', () => {
      const s = 'OPTIONS sip:a@b SIP/2.0\r\n x\r\nl: 0\r\n\r\n';
      const m = parse(s);
      expect(m.toBuffer().toString('latin1')).toBe(s);
      expect(m.diagnostics.map((d) => d.code)).toContain('folding-without-header');
      expect(m.contentLength).toBe(0);
    });

    test('a continuation line after a line without a colon stays with that line (was dropped)', () => {
      const s = 'OPTIONS sip:a@b SIP/2.0\r\nfoo\r\n bar\r\nl: 0\r\n\r\n';
      for (const framing of ['datagram', 'stream'] as const) {
        const m = parse(s, framing);
        expect(m.toBuffer().toString('latin1')).toBe(s);
        expect(m.fields.map((f) => f.raw)).toEqual(['foo\r\n bar\r\n', 'l: 0\r\n']);
        expect(m.diagnostics.map((d) => d.code)).toEqual(['header-without-colon']);
      }
    });
  });

  describe('header names that are Object.prototype keys', () => {
    test('"__proto__" does not make validate() throw (GRAMMAR["__proto__"] is not a function)', () => {
      const m = parse('OPTIONS sip:a@b SIP/2.0\r\n__proto__: x\r\nl: 0\r\n\r\n');
      expect(() => m.validate()).not.toThrow();
    });

    test('"constructor" is an unknown, opaque header and not read through Object()', () => {
      expect(codes('OPTIONS sip:a@b SIP/2.0\r\nConstructor: a\x01b\r\nl: 0\r\n\r\n')).toContain('control-char-in-value');
    });
  });

  describe('no quadratic time', () => {
    test('many header lines without a colon before a long one: one scan for ":" instead of one per line', () => {
      // Each colon-less line used to search for ':' to the end of the header section (3.5 s here).
      const s = 'OPTIONS sip:a@b SIP/2.0\r\n' + 'a\r\n'.repeat(50_000) + 'X'.repeat(4_000_000) + '\r\n\r\n';
      let n = 0;
      expect(timeOf(() => { n = parse(s).fields.length; })).toBeLessThan(SLOW_MS);
      expect(n).toBe(50_001);
    });

    test('parseStream over many CRLF CRLF framed messages: no search for LF LF to the end of the buffer each time', () => {
      // 3.3 s before: each message searched the rest of the buffer for "\n\n" (and LF LF framing, for CRLF CRLF).
      const s = 'A\r\n\r\n'.repeat(20_000);
      expect(timeOf(() => parseStream(bytes(s)))).toBeLessThan(SLOW_MS);
    });

    test('request line: long, repetitive method and Request-URI (offsets were found again with indexOf)', () => {
      // 600 ms before: line.indexOf(words[1]) with a 80 KB needle of '%' against a line full of '%'.
      const run = '%'.repeat(40_000);
      const s = `OPTIONS${run} ${run}"${run} sip:a@b SIP/2.0\r\nl: 0\r\n\r\n`;
      expect(timeOf(() => parseMessage(bytes(s)))).toBeLessThan(SLOW_MS / 4);
      const d = parseMessage(bytes(s)).diagnostics.find((x) => x.code === 'request-uri-lws');
      expect(d?.offset).toBe(`OPTIONS${run} ${run}"${run} `.length);
      // Offsets are unchanged on ordinary lines, leading whitespace included.
      const lws = parseMessage(bytes('\r\n INVITE sip:a@b; lr SIP/2.0\r\nl: 0\r\n\r\n')).diagnostics;
      expect(lws.find((x) => x.code === 'request-uri-lws')?.offset).toBe(2 + ' INVITE sip:a@b; '.length);
      const ver = parseMessage(bytes('INVITE sip:a@b SIP/3.0\r\nl: 0\r\n\r\n')).diagnostics;
      expect(ver.find((x) => x.code === 'unsupported-version')?.offset).toBe('INVITE sip:a@b '.length);
    });

    test('Via: a long run of spaces inside sent-by', () => {
      const v = 'SIP/2.0/UDP h' + ' '.repeat(30_000) + 'x';
      expect(timeOf(() => parseVia(v, 0, []))).toBeLessThan(SLOW_MS);
      const d: Parameters<typeof parseVia>[2] = [];
      expect(parseVia(v, 0, d)?.host).toBe('h' + ' '.repeat(30_000) + 'x');
      expect(d.map((x) => x.code)).toEqual(['bad-via-host']);
      // Unchanged on ordinary values: sent-by trimmed, parameters from the first ';'.
      const ok = parseVia('SIP/2.0/UDP  host:5060 ;branch=z9hG4bK1', 0, undefined);
      expect([ok?.host, ok?.port, ok?.branch]).toEqual(['host', 5060, 'z9hG4bK1']);
    });

    test('Retry-After: a long run of spaces after the number', () => {
      const v = '1' + ' '.repeat(30_000) + 'x';
      expect(timeOf(() => parseRetryAfter(v, 0, []))).toBeLessThan(SLOW_MS);
      const d: Parameters<typeof parseRetryAfter>[2] = [];
      expect(parseRetryAfter(v, 0, d)).toBeUndefined();
      expect(d.map((x) => x.code)).toEqual(['bad-number']);
      expect(parseRetryAfter('18000 (in 5 hours) ;duration=3600', 0, undefined)).toMatchObject({ seconds: 18000, comment: '(in 5 hours)' });
    });

    test('unfold: a long run of spaces not followed by a line break', () => {
      const v = 'a' + ' '.repeat(30_000) + 'b\r\n c';
      expect(timeOf(() => unfold(v))).toBeLessThan(SLOW_MS);
      expect(unfold(v)).toBe('a' + ' '.repeat(30_000) + 'b c');
      expect(unfold('a \t\r\n\t b\nc\r\n')).toBe('a b c ');
    });

    test('auth-params: a long run of spaces inside a credentials value (trailing-LWS regex)', () => {
      const v = 'Digest username="a",' + ' '.repeat(30_000) + 'realm' + ' '.repeat(30_000) + 'x';
      expect(timeOf(() => parseAuthParamList(v))).toBeLessThan(SLOW_MS);
      expect(parseAuthParamList('Basic QWxhZGRpbg==  ').token68).toBe('QWxhZGRpbg==');
    });
  });

  test('parseStream: a message with 300,000 diagnostics does not overflow the stack (push(...diagnostics))', () => {
    // 300,000 colon-less lines, one diagnostic each (bare LFs are reported once per message, not per line).
    const s = 'OPTIONS sip:a@b SIP/2.0\r\n' + 'a\r\n'.repeat(300_001) + '\r\n';
    const r = parseStream(bytes(s));
    expect(r.messages).toHaveLength(1);
    expect(r.diagnostics.length).toBeGreaterThan(300_000);
  });
});
