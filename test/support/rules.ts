/** Assertions for rule tests: each rule is shown to fire on a violating ladder and to stay silent on a clean one. */
import { runRules, type Finding } from '../../src/rules/index.js';
import type { RuleContext } from '../../src/rules/types.js';
import type { Trace } from '../../src/trace/trace.js';

/**
 * The rule's findings on the trace read whole. Every rule test also proves the rule gives the same when the
 * trace is read in parts of single calls, as runRules does with a large capture.
 */
export function findings(trace: Trace, id: string, context?: Partial<RuleContext>): Finding[] {
  const whole = runRules(trace, { only: [id], context, partSize: 0 });
  expect(runRules(trace, { only: [id], context, partSize: 1 })).toEqual(whole);
  return whole;
}

/** Two tests per rule: it fires on `bad` (and names the offending message first), it is silent on `good`. */
export function pair(id: string, bad: [string, () => Trace, number?], good: [string, () => Trace], context?: Partial<RuleContext>): void {
  test(`${id} fires on ${bad[0]}`, () => {
    const f = findings(bad[1](), id, context);
    expect(f.length).toBeGreaterThan(0);
    expect(f[0].message).not.toMatch(/could not be evaluated/);
    if (bad[2] !== undefined) expect(f[0].messages[0]).toBe(bad[2]);
  });
  test(`${id} is silent on ${good[0]}`, () => {
    expect(findings(good[1](), id, context)).toEqual([]);
  });
}
