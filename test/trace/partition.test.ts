/**
 * Reading a large trace in parts (src/trace/partition.ts, runRules' partSize): a part holds whole calls and
 * the calls they point at, and the rules find on the parts exactly what they find on the whole trace.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchCapture } from '../../bench/make-capture.js';
import { extractSip } from '../../src/capture/extract.js';
import { ALL_RULES, runRules } from '../../src/rules/index.js';
import { DEFAULT_CONTEXT, earliestOfEach, type Finding } from '../../src/rules/types.js';
import { partitionTrace } from '../../src/trace/partition.js';
import { Trace } from '../../src/trace/trace.js';
import { flow } from '../support/flow.js';

const PCAPS = 'test/vectors/pcaps';
const load = (name: string) => Trace.fromCapture(extractSip(readFileSync(join(PCAPS, name))));

describe('partitionTrace', () => {
  test('every message of a Call-ID lands in one part, and parts keep wire order', () => {
    const f = flow();
    // Two calls interleaved on the wire.
    f.invite('alice', 'bob', { callId: 'one' }).invite('carol', 'bob', { callId: 'two' }).reply(180, { to: 1 }).reply(200, { to: 0 }).reply(200, { to: 1 });
    const trace = f.trace();
    const parts = partitionTrace(trace, 1);
    expect(parts.map((p) => p.messages.map((m) => m.message.callId))).toEqual([['one', 'one'], ['two', 'two', 'two']]);
    expect(parts.map((p) => p.messages.map((m) => m.index))).toEqual([[0, 3], [1, 2, 4]]);
    expect(parts.flatMap((p) => p.transactions)).toHaveLength(trace.transactions.length);
  });

  test('a call named by Replaces is in the part of the call that replaces it', () => {
    const f = flow().invite('alice', 'bob', { callId: 'first' }).reply(200).invite('carol', 'bob', { callId: 'other' }).reply(200);
    f.invite('carol', 'bob', { callId: 'second', headers: { Replaces: 'first;to-tag=x;from-tag=y' } });
    const parts = partitionTrace(f.trace(), 1);
    expect(parts.map((p) => [...new Set(p.messages.map((m) => m.message.callId))])).toEqual([['first', 'second'], ['other']]);
  });

  test('parts are packed up to the size asked', () => {
    const f = flow();
    for (let i = 0; i < 10; i++) f.invite('alice', 'bob', { callId: `c${i}` }).reply(486);
    expect(partitionTrace(f.trace(), 4).map((p) => p.messages.length)).toEqual([4, 4, 4, 4, 4]);
    expect(partitionTrace(f.trace(), 5).map((p) => p.messages.length)).toEqual([6, 6, 6, 2]);
  });
});

describe('rules on parts give the findings of the whole trace', () => {
  const files = readdirSync(PCAPS).filter((f) => /\.pcap(ng)?$/.test(f));

  test.each(files)('%s', (name) => {
    const trace = load(name);
    const whole = runRules(trace, { partSize: 0 });
    expect(runRules(trace, { partSize: 1 })).toEqual(whole);
    expect(runRules(trace, { partSize: 7 })).toEqual(whole);
  });

  test('a bench capture of 5,000 messages and the reference captures, read in the default parts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwright-parts-'));
    try {
      const file = join(dir, 'bench.pcap');
      writeBenchCapture(file, 5000);
      // The bench calls are clean; the reference captures after them bring findings of every kind.
      const payloads = [file, ...files.map((f) => join(PCAPS, f))].flatMap((f) => extractSip(readFileSync(f)).payloads);
      const trace = Trace.fromPayloads(payloads);
      const whole = runRules(trace, { partSize: 0 });
      expect(whole.length).toBeGreaterThan(0);
      expect(partitionTrace(trace, 1000).length).toBeGreaterThan(2);
      expect(runRules(trace)).toEqual(whole);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a rule reading across calls, left unmarked, would differ on parts: the check can fail', () => {
    // Alice refreshes her registration with a new Call-ID (REG-03 reports it); each REGISTER is a call.
    const trace = flow().register('alice', 'registrar', { callId: 'reg1' }).reply(200, { contact: '<sip:alice@127.0.0.1:5060>' })
      .register('alice', 'registrar', { callId: 'reg2', cseq: 2 }).trace();
    const reg03 = ALL_RULES.find((r) => r.id === 'REG-03')!;
    expect(reg03.acrossCalls).toBeDefined();
    const onParts = partitionTrace(trace, 1).flatMap((p) => reg03.check(trace.part(p.messages, p.transactions, p.dialogs), DEFAULT_CONTEXT));
    expect(reg03.check(trace, DEFAULT_CONTEXT)).toHaveLength(1);
    expect(onParts).toEqual([]);
    // runRules keeps such a rule on the whole trace.
    expect(runRules(trace, { only: ['REG-03'], partSize: 1 })).toHaveLength(1);
  });
});

describe('findings reported once per text', () => {
  const f = (message: string, ...messages: number[]): Finding => ({ rule: 'X-01', level: 'MUST', rfc: 'RFC 0', message, messages });

  test('the earliest is kept whatever order the rule met them in', () => {
    expect(earliestOfEach([f('a', 9, 1), f('b', 5), f('a', 3, 8), f('a', 3, 2)])).toEqual([f('b', 5), f('a', 3, 2)]);
  });

  test('the same defect in two calls is reported once, on the whole trace and on parts', () => {
    // Both calls' 200 OK answer with SDP that drops the offer's m-line (OA-01), with the same text.
    const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\n';
    const answer = 'v=0\r\no=- 2 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
    const trace = flow().invite('alice', 'bob', { callId: 'one', body: offer }).reply(200, { body: answer })
      .invite('alice', 'bob', { callId: 'two', body: offer }).reply(200, { body: answer }).trace();
    const whole = runRules(trace, { only: ['OA-01'], partSize: 0 });
    expect(whole).toHaveLength(1);
    expect(whole[0].messages[0]).toBe(1);
    expect(runRules(trace, { only: ['OA-01'], partSize: 1 })).toEqual(whole);
  });
});
