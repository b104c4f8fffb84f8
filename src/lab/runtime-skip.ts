/**
 * A test skipped from inside its body, once it learns it can't be judged (its capture holds SIP no key
 * decrypts). Jest has no such skip: the test throws this, and the lab's jest environment (jest-environment.ts)
 * turns a test whose only errors are these into a skipped one before any reporter sees it, so jest's results,
 * JUnit, Allure, the summary and the progress line all say "skipped", with the reason from meta.json.
 *
 * Recognised by a property, not by class: the test's copy of this module lives in jest's sandbox, the
 * environment's outside it.
 */
export const SKIP_MARK = 'sipwrightSkip';

export class RuntimeSkip extends Error {
  readonly [SKIP_MARK]: string;
  constructor(readonly reason: string) {
    super(`skipped: ${reason}`);
    this.name = 'RuntimeSkip';
    this[SKIP_MARK] = reason;
  }
}

function markOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const mark = (e as Record<string, unknown>)[SKIP_MARK];
  return typeof mark === 'string' ? mark : undefined;
}

/**
 * The reason, when every error jest-circus recorded for a test is a RuntimeSkip; undefined when there is none,
 * or any other error (a real failure is never hidden by a skip).
 */
export function runtimeSkipReason(errors: readonly unknown[]): string | undefined {
  if (errors.length === 0) return undefined;
  // jest-circus records a test's failure as [thrown, asyncError], a hook's as the same pair or the error alone.
  const reasons = errors.map((e) => markOf(Array.isArray(e) ? e[0] : e));
  if (reasons.some((r) => r === undefined)) return undefined;
  return reasons[0];
}
