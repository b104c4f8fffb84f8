/** Which of a target's accounts a test can use for what. */
import type { Account } from './schema.js';
import type { TargetPlan } from './target.js';

/**
 * A third party's account: one after the first two that the target does not qualify (a phone that only answers
 * the INVITE it waits for would take a qualify OPTIONS for that call), nor treats otherwise (SRTP required),
 * preferring one with plain MD5 digest (the native SIPp), or the reason there is none.
 */
export function thirdAccount(plan: TargetPlan): Account | string {
  const qualified = plan.registrar?.qualify?.user;
  const usable = plan.accounts.slice(2).filter((a) => (a.authUser ?? a.user) !== qualified && a.user !== plan.srtp?.requiredBy);
  const pick = usable.find((a) => !a.algorithms) ?? usable[0];
  return pick ?? `target ${plan.name} lists no third account that it does not qualify (registrar.qualify): the test's third party needs one`;
}

/** For `requires`: true when the plan has such an account, else the reason. */
export const needsThirdAccount = (plan: TargetPlan): true | string => {
  const a = thirdAccount(plan);
  return typeof a === 'string' ? a : true;
};
