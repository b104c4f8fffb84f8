/**
 * `allure generate`: allure-results → the HTML report, with allure-commandline's bundled launcher
 * (a Java program: Java 8+ must be installed; Debian: default-jre-headless).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from '../cli/exit-codes.js';
import { onExitOrSignal } from '../runtime/exit-cleanup.js';
import { allureReportDir, allureResultsDir } from './report-dir.js';
import { finishAllureResults } from './finish-results.js';
import { secretsFromEnv } from './secrets-env.js';

export interface AllureGenerateOptions {
  /** Masked in the whole report dir before generating (see finish-results.ts); default SIPWRIGHT_SECRETS. */
  secrets?: readonly string[];
  /** jest's rootDir for the run (joins allure results with meta.json); default the working dir. */
  rootDir?: string;
  /** Java to use; default JAVA_HOME/bin/java, else `java` on PATH (the launcher script's own rule). */
  env?: NodeJS.ProcessEnv;
  /** Stops the generation (a second Ctrl-C): the generator is killed and the promise rejects. */
  abort?: AbortSignal;
}

/** The allure-commandline launcher script inside node_modules. */
export function allureBinary(): string {
  const pkg = createRequire(import.meta.url).resolve('allure-commandline/package.json');
  return join(dirname(pkg), 'dist', 'bin', 'allure');
}

/** Throws CliError(EXIT.ENVIRONMENT) naming what to install when there is no usable Java. */
export function checkJava(env: NodeJS.ProcessEnv = process.env): void {
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const probe = spawnSync(java, ['-version'], { env, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? (probe.error as NodeJS.ErrnoException).code ?? probe.error.message : `exit ${probe.status}`;
    throw new CliError(
      `allure generate needs Java (8 or newer), and \`${java} -version\` failed (${why}). ` +
        'Install it with `apt-get install default-jre-headless` (or set JAVA_HOME). The JUnit and JSON reports are written without it.',
      EXIT.ENVIRONMENT,
    );
  }
}

/**
 * Generates `<report>/allure-report` from `<report>/allure-results` and returns the report's path.
 * Fails with EXIT.ENVIRONMENT when Java or allure-commandline is missing, and with the launcher's own
 * output when generation itself fails.
 */
export async function generateAllureReport(reportDir: string, options: AllureGenerateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const results = allureResultsDir(reportDir);
  const out = allureReportDir(reportDir);
  if (!existsSync(results)) throw new CliError(`no Allure results at ${results}: run the suites first`, EXIT.USAGE);
  let bin: string;
  try {
    bin = allureBinary();
  } catch {
    throw new CliError('allure-commandline is not installed: run `npm install`', EXIT.ENVIRONMENT);
  }
  checkJava(env);
  finishAllureResults(reportDir, { rootDir: options.rootDir ?? process.cwd(), secrets: options.secrets ?? secretsFromEnv(env) });

  if (options.abort?.aborted) throw new Error('allure generate was not started: the run was stopped');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done, fail) => {
    // In a group of its own: a signal to the run's process group must not kill the report of the tests that
    // finished halfway; the run decides (it lets the report finish, or aborts it on a second signal).
    const child = spawn(bin, ['generate', results, '-o', out, '--clean'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const withdraw = child.pid === undefined ? () => false : onExitOrSignal(kill);
    options.abort?.addEventListener('abort', kill, { once: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', fail);
    child.on('close', (c) => {
      withdraw();
      options.abort?.removeEventListener('abort', kill);
      if (options.abort?.aborted) fail(new Error('allure generate was stopped: the run was stopped'));
      else done({ code: c, output });
    });
  });
  if (code !== 0 || !existsSync(join(out, 'index.html'))) {
    throw new Error(`allure generate failed (exit ${code}):\n${output.trim()}`);
  }
  return out;
}
