/**
 * The jest config for running conformance suites (`sipwright run`). Plain JSON on purpose: the CLI
 * writes it to a temp file or passes it as `jest --config '<json>'`, so nothing here may be a function.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from '../cli/exit-codes.js';
import type { ReporterOptions } from './reporter-options.js';
import { allureResultsDir } from './report-dir.js';

export interface SuitesJestConfigOptions {
  /** The project root (absolute): where package.json, node_modules and dist/ are. */
  rootDir: string;
  /** Suite names (folders under suitesDir); empty or absent runs them all. */
  suites?: readonly string[];
  /** Absolute report dir; the workers also learn it from SIPWRIGHT_REPORT_DIR, which the CLI sets. */
  reportDir: string;
  /** Folder holding one folder per suite, relative to rootDir. */
  suitesDir?: string;
  /** Glob of test files inside a suite folder. */
  testFileGlob?: string;
  /** Per-test timeout in ms: a suite test starts real endpoints, so the default is generous. */
  testTimeout?: number;
  /** Where summary-reporter writes the JSON summary (default `<report>/summary.json`). */
  summaryJson?: string;
  maxWorkers?: number | string;
}

export interface SuitesJestConfig {
  rootDir: string;
  roots: string[];
  testMatch: string[];
  extensionsToTreatAsEsm: string[];
  transform: Record<string, [string, Record<string, unknown>]>;
  moduleNameMapper: Record<string, string>;
  testEnvironment: string;
  testEnvironmentOptions: { resultsDir: string };
  globalTeardown: string;
  reporters: (string | [string, Record<string, unknown>])[];
  testTimeout: number;
  maxWorkers?: number | string;
}

/** The suite names available under suitesDir. */
export function listSuites(rootDir: string, suitesDir = 'suites'): string[] {
  const dir = resolve(rootDir, suitesDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory()).sort();
}

export function suitesJestConfig(options: SuitesJestConfigOptions): SuitesJestConfig {
  const rootDir = resolve(options.rootDir);
  const suitesDir = options.suitesDir ?? 'suites';
  const glob = options.testFileGlob ?? '**/*.test.ts';
  const known = listSuites(rootDir, suitesDir);
  const wanted = options.suites && options.suites.length > 0 ? [...options.suites] : known;
  const unknown = wanted.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new CliError(`--suite: no suite named ${unknown.join(', ')} (suites: ${known.join(', ') || 'none'})`, EXIT.USAGE);
  }
  if (wanted.length === 0) throw new CliError(`no suites under ${resolve(rootDir, suitesDir)}`, EXIT.USAGE);

  const reporterDir = resolve(rootDir, 'dist', 'src', 'report');
  const labDir = resolve(rootDir, 'dist', 'src', 'lab');
  const compiled = [join(reporterDir, 'progress-reporter.js'), join(reporterDir, 'summary-reporter.js'), join(labDir, 'jest-environment.js'), join(labDir, 'global-teardown.js')];
  for (const f of compiled) {
    if (!existsSync(f)) {
      throw new CliError(`${f} is missing: run \`npm run build\` first (jest loads reporters and environments untransformed)`, EXIT.ENVIRONMENT);
    }
  }
  const reporterOptions: ReporterOptions = { reportDir: options.reportDir, suitesDir, summaryJson: options.summaryJson };
  const suiteRoots = wanted.map((s) => join(rootDir, suitesDir, s));

  const config: SuitesJestConfig = {
    rootDir,
    roots: suiteRoots,
    testMatch: suiteRoots.map((r) => `${r}/${glob}`),
    // Same transform as the project's jest.config.js: native ESM, swc strips the types.
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
    },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    // allure-jest's environment, holding the worker's targets for all its files (src/lab/jest-environment.ts).
    testEnvironment: join(labDir, 'jest-environment.js'),
    testEnvironmentOptions: { resultsDir: allureResultsDir(options.reportDir) },
    globalTeardown: join(labDir, 'global-teardown.js'),
    reporters: [
      [join(reporterDir, 'progress-reporter.js'), { ...reporterOptions }],
      [join(reporterDir, 'summary-reporter.js'), { ...reporterOptions }],
      ['jest-junit', {
        outputDirectory: options.reportDir,
        outputName: 'junit.xml',
        suiteName: 'sipwright',
        // <testsuite> per test file; <testcase classname="describe › path" name="title">, as suites group
        // their tests in a describe named after the behaviour.
        suiteNameTemplate: '{filepath}',
        classNameTemplate: '{classname}',
        titleTemplate: '{title}',
        ancestorSeparator: ' › ',
        addFileAttribute: 'true',
        // a file that fails to import still appears, as an error, instead of vanishing from CI's view
        reportTestSuiteErrors: 'true',
      }],
    ],
    testTimeout: options.testTimeout ?? 120_000,
  };
  if (options.maxWorkers !== undefined) config.maxWorkers = options.maxWorkers;
  return config;
}
