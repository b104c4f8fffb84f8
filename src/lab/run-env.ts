/**
 * What a suite run was asked to do, passed from `sipwright run` (or a user's own jest invocation) to the jest
 * workers through the environment.
 */
import { resolve } from 'node:path';

export interface RunEnv {
  /** `--target`: an embedded name or a target file; undefined = the embedded lab's default. */
  target?: string;
  /** Absolute report directory (artifacts, allure-results, summary). */
  reportDir: string;
  /** Optional lab config file (YAML/JSON). */
  labConfig?: string;
  /** The jest worker (1-based), used to pick this worker's loopback block first. */
  workerId: number;
}

export function runEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  return {
    target: env.SIPWRIGHT_TARGET || undefined,
    reportDir: resolve(env.SIPWRIGHT_REPORT_DIR || 'reports'),
    labConfig: env.SIPWRIGHT_LAB_CONFIG || undefined,
    workerId: Number(env.JEST_WORKER_ID ?? '1') || 1,
  };
}
