/** runRules on a capture where one rule fires on every message: no finding may be lost to the size. */
import { ALL_RULES, runRules, selectRules } from '../../src/rules/index.js';
import { parseMessage } from '../../src/sip/parser.js';
import { partitionTrace } from '../../src/trace/partition.js';
import { Trace } from '../../src/trace/trace.js';
import { endpointOf, flow } from '../support/flow.js';

test('a rule with a finding on each of 150,000 messages reports all of them', () => {
  const text = flow().invite('alice', 'bob', { maxForwards: 10, callId: 'CALLID', branch: 'z9hG4bKBRANCH' }).trace().messages[0].message.toString();
  const n = 150_000;
  // Each INVITE its own call, so none is a retransmission of another.
  const message = (i: number) => parseMessage(Buffer.from(text.replace('CALLID', `c${i}`).replace('z9hG4bKBRANCH', `z9hG4bK${i}`))).message!;
  const trace = Trace.fromMessages(Array.from({ length: n }, (_, i) => ({ message: message(i), time: i * 0.001, src: endpointOf('alice'), dst: endpointOf('bob') })));
  const found = runRules(trace, { only: ['UAC-06'] });
  expect(found.filter((f) => f.message.includes('could not be evaluated'))).toEqual([]);
  expect(found).toHaveLength(n);
  expect(found[n - 1]).toMatchObject({ rule: 'UAC-06', messages: [n - 1] });
}, 60_000);

test('selectRules: ids and family prefixes in any case; a name that selects nothing throws', () => {
  expect(selectRules()).toBe(ALL_RULES);
  expect(selectRules(['uac-06']).map((r) => r.id)).toEqual(['UAC-06']);
  const rel = selectRules(['REL-']).map((r) => r.id);
  expect(rel.length).toBeGreaterThan(5);
  expect(rel.every((id) => id.startsWith('REL-'))).toBe(true);
  expect(() => selectRules(['UAC-6'])).toThrow('no rule has the id or prefix "UAC-6"');
  expect(() => selectRules(['UAC-06', 'bogus'])).toThrow('"bogus"');
  expect(() => selectRules(['TMR-15'])).toThrow(/TMR-15 is in the catalogue but not implemented/);
  expect(() => selectRules([])).toThrow('no rule ids given');
  const trace = Trace.fromMessages([]);
  expect(() => runRules(trace, { only: ['NOPE'] })).toThrow('"NOPE"');
});

test('progress: steps counted up to the last, read whole or in parts, and the findings are the same', () => {
  const calls = Array.from({ length: 12 }, (_, i) => flow().invite('alice', 'bob', { maxForwards: 10, callId: `c${i}`, branch: `z9hG4bK${i}` }).trace().messages[0].message);
  const trace = Trace.fromMessages(calls.map((message, i) => ({ message, time: i * 0.001, src: endpointOf('alice'), dst: endpointOf('bob') })));
  for (const partSize of [0, 3]) {
    const seen: Array<[number, number]> = [];
    const found = runRules(trace, { partSize, progress: (done, total) => seen.push([done, total]) });
    expect(found).toEqual(runRules(trace, { partSize }));
    const total = seen[0][1];
    // Whole: one step per rule. In parts: one per part, then one per rule that reads across calls.
    expect(total).toBe(partSize === 0 ? ALL_RULES.length : partitionTrace(trace, partSize).length + ALL_RULES.filter((r) => r.acrossCalls).length);
    if (partSize) expect(partitionTrace(trace, partSize).length).toBeGreaterThan(1);
    expect(seen.map(([d]) => d)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(seen.every(([, t]) => t === total)).toBe(true);
  }
});
