/** Assertions for rule tests: each rule is shown to fire on a violating ladder and to stay silent on a clean one. */
import { runRules, type Finding } from '../../src/rules/index.js';
import type { RuleContext } from '../../src/rules/types.js';
import type { Trace } from '../../src/trace/trace.js';

export function findings(trace: Trace, id: string, context?: Partial<RuleContext>): Finding[] {
  return runRules(trace, { only: [id], context });
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
