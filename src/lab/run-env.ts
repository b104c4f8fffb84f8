/**
 * What a suite run was asked to do, passed from `sipwright run` (or a user's own jest invocation) to the jest
 * workers through the environment.
 */
import { resolve } from 'node:path';

export interface RunEnv {
  /**
   * The targets named for the run (embedded names or target files); empty = every embedded target, each
   * running the suites whose roles it has. SIPWRIGHT_TARGETS holds a JSON array (what `sipwright run` sets);
   * SIPWRIGHT_TARGET one target, for a user's own jest invocation.
   */
  targets: string[];
  /** Absolute report directory (artifacts, allure-results, summary). */
  reportDir: string;
  /** Optional lab config file (YAML/JSON). */
  labConfig?: string;
  /** The jest worker (1-based), used to pick this worker's loopback block first. */
  workerId: number;
  /** `sipwright run --grep`: jest runs only the tests whose full name matches (SIPWRIGHT_GREP). */
  grep?: RegExp;
  /** `sipwright run --local-address`: the address parties share towards every target file (SIPWRIGHT_LOCAL_ADDRESS). */
  localAddress?: string;
}

function targetsOf(env: NodeJS.ProcessEnv): string[] {
  const list = env.SIPWRIGHT_TARGETS;
  if (list) {
    const parsed: unknown = JSON.parse(list);
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error(`SIPWRIGHT_TARGETS must be a JSON array of strings, got ${list}`);
    return parsed;
  }
  return env.SIPWRIGHT_TARGET ? [env.SIPWRIGHT_TARGET] : [];
}

export function runEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  return {
    targets: targetsOf(env),
    reportDir: resolve(env.SIPWRIGHT_REPORT_DIR || 'reports'),
    labConfig: env.SIPWRIGHT_LAB_CONFIG || undefined,
    workerId: Number(env.JEST_WORKER_ID ?? '1') || 1,
    ...(env.SIPWRIGHT_GREP ? { grep: new RegExp(env.SIPWRIGHT_GREP) } : {}),
    ...(env.SIPWRIGHT_LOCAL_ADDRESS ? { localAddress: env.SIPWRIGHT_LOCAL_ADDRESS } : {}),
  };
}
