/**
 * `sipwright run`: the suites against a target, through jest (as a child in a process group of its own, see
 * runJest), with progress per test, a summary, the JSON summary, JUnit and the Allure report.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMissing, isRoot, aptCommand } from '../env/deps.js';
import { DockerUnavailable, ensureDocker } from '../env/docker.js';
import { embeddedNode, embeddedUnavailable, resetEmbeddedChecks } from '../lab/embedded.js';
import type { LabConfig } from '../lab/schema.js';
import { ConfigError, loadLabConfig, secretsOf, selectTargets, type TargetPlan, type TargetSelection } from '../lab/target.js';
import { reapStaleContainers } from '../runtime/container.js';
import { buildMissing, imageExists } from '../runtime/images/build.js';
import { imageTag } from '../runtime/images/recipe.js';
import { dieOf, interceptSignals, onExitOrSignal, signalExitCode, type TerminatingSignal } from '../runtime/exit-cleanup.js';
import { executableName, groupMembers, killGroup, reapStale, stopGroupTree, waitForGroupEndSync } from '../runtime/process-registry.js';
import { BuildError } from '../runtime/images/steps.js';
import { probeTarget } from '../lab/probe.js';
import { RESOLVED_ENV, resolveAll, UnresolvableHost } from '../lab/resolve.js';
import { localRouteFor } from '../lab/started-target.js';
import { hostPort } from '../util/host.js';
import { interfaceOf } from '../runtime/route.js';
import { reapStaleNetns } from '../runtime/netns.js';
import { generateAllureReport } from '../report/allure-generate.js';
import { finishAllureResults } from '../report/finish-results.js';
import { writeInterruptedReport, type InterruptedReport } from '../report/interrupted-report.js';
import { formatTestLine, formatTotals } from '../report/progress-format.js';
import { prepareReportDir } from '../report/report-dir.js';
import { suitesJestConfig } from '../report/jest-suites-config.js';
import { SECRETS_ENV } from '../report/secrets-env.js';
import { CliError, EXIT } from './exit-codes.js';
import { parseShard } from './shard.js';

export interface RunOptions {
  /** Targets named with --target (repeatable); none = every embedded target. */
  target?: string[] | string;
  suite?: string[];
  transport?: 'udp' | 'tcp' | 'tls';
  report?: string;
  json?: string;
  labConfig?: string;
  workers?: string;
  /** Only the tests whose full name matches (jest --testNamePattern). */
  grep?: string;
  /** The local address the parties share towards every target file (else the one that routes to it). */
  localAddress?: string;
  /** `i/n`: only the i-th of n parts of the test files (jest --shard). */
  shard?: string;
  allure?: boolean;
}

/** Why a target file over TLS is refused without its CA: the parties verify the target's certificate against it. */
export const TLS_VERDICTS =
  "the parties verify a target's certificate against a CA, and the target file names none: add tls: { ca: FILE } " +
  '(and serverName, when its certificate names it by another name than its address). The embedded targets make their own';

/**
 * Suite files run on this many jest workers unless --workers says otherwise. The tests wait on SIP timers, not
 * on the CPU, so more workers than the 2 cores pay: 3 measured best (ratio 1.08, against 1.20 with 2 and 1.12
 * with 4; npm run bench -- suites, README Speed).
 */
export const DEFAULT_WORKERS = '3';

/**
 * The workers for a run. Each worker starts embedded targets of its own, but a target file names one system
 * shared by all: two files on it at once would register the same accounts from two places and fork each
 * other's calls. So a run with a target file runs its files one at a time, unless told otherwise.
 */
function workersFor(plans: TargetPlan[], asked: string | undefined, err: (s: string) => void): string {
  const external = plans.filter((p) => p.kind === 'external');
  if (external.length === 0) return asked ?? DEFAULT_WORKERS;
  if (asked === undefined) return '1';
  if (asked !== '1') err(`sipwright: --workers ${asked} with a target file: test files run at once against ${external.map((p) => p.name).join(', ')} and share its accounts, so their calls may meet`);
  return asked;
}

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function loadSelection(o: RunOptions): { selection: TargetSelection; lab: LabConfig } {
  const named = o.target === undefined ? [] : Array.isArray(o.target) ? o.target : [o.target];
  try {
    const lab = loadLabConfig(o.labConfig);
    return { selection: selectTargets(named, lab), lab };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
}

/**
 * Embedded targets that run in containers need a daemon and their image: as root, start the one and build
 * the other (minutes, with progress) on first use. A named target that still can't run stops the run (exit
 * 3); with every embedded target implied, it is left out with the reason, and its tests are skipped with it.
 */
async function prepareEmbedded(selection: TargetSelection, lab: LabConfig, suites: readonly string[] | undefined, err: (s: string) => void): Promise<void> {
  for (const plan of selection.plans) {
    if (plan.kind !== 'embedded') continue;
    let why = embeddedUnavailable(plan.embedded!, lab);
    if (why && isRoot()) {
      try {
        await ensureDocker(err);
        resetEmbeddedChecks();
        why = embeddedUnavailable(plan.embedded!, lab);
        if (why) {
          err(`sipwright: building the ${embeddedNode(plan.embedded!)} image for ${plan.name} (first use; a few minutes)…`);
          await buildMissing({ only: [embeddedNode(plan.embedded!)], log: err });
          resetEmbeddedChecks();
          why = embeddedUnavailable(plan.embedded!, lab);
        }
      } catch (e) {
        if (!(e instanceof DockerUnavailable || e instanceof BuildError)) throw e;
        why = `${plan.name}: ${(e as Error).message}`;
      }
    }
    if (!why) continue;
    if (selection.mode === 'named') throw new CliError(why, EXIT.ENVIRONMENT);
    err(`sipwright: ${plan.name} can't run here, its tests are skipped: ${why}`);
  }
  await prepareUserAgentImages(suites, err);
}

/**
 * The images of the suites' own user agents: SIPp 3.8 (TLS with a key log, SHA-256 digest) and the baresip
 * phone (a transferee). As root they are built on first use, like the targets'; a failed build is said, and the
 * tests that need one then say what is missing.
 */
async function prepareUserAgentImages(suites: readonly string[] | undefined, err: (s: string) => void): Promise<void> {
  if (!isRoot()) return;
  const phoneNeeded = !suites?.length || suites.includes('transfer');
  const missing = (['sipp', ...(phoneNeeded ? ['baresip'] : [])] as const).filter((n) => !imageExists(imageTag(n)));
  if (missing.length === 0) return;
  try {
    await ensureDocker(err);
    err(`sipwright: building the ${missing.join(' and ')} image${missing.length > 1 ? 's' : ''} for the suites' user agents (first use; a few minutes)…`);
    await buildMissing({ only: [...missing], log: err });
    resetEmbeddedChecks();
  } catch (e) {
    if (!(e instanceof DockerUnavailable || e instanceof BuildError)) throw e;
    err(`sipwright: the tests that need ${missing.join(' or ')} will say so: ${(e as Error).message}`);
  }
}

function ensureEnvironment(err: (s: string) => void): void {
  const missing = installMissing('run', err);
  if (missing.length) {
    const names = missing.map((m) => `${m.dep.name} (${m.dep.debian})`).join(', ');
    throw new CliError(`missing: ${names}. Install with: ${isRoot() ? '' : 'sudo '}${aptCommand(missing.map((m) => m.dep.debian))}`, EXIT.ENVIRONMENT);
  }
  if (!isRoot()) {
    throw new CliError('capturing on the wire needs root (tcpdump on the loopback interface): run as root, or with sudo', EXIT.ENVIRONMENT);
  }
}

/**
 * An external target is probed before any jest worker starts, from the address its parties will use:
 * unreachable fails in seconds, once. `resolved` holds the addresses of targets named by DNS names.
 */
async function preflight(plans: TargetPlan[], resolved: Record<string, string>): Promise<void> {
  for (const plan of plans) if (plan.kind === 'external') await probeExternal(plan, resolved[plan.host!] ?? plan.host!);
}

async function probeExternal(plan: TargetPlan, host: string): Promise<void> {
  await probeTarget({
    name: plan.name,
    host,
    port: plan.port,
    transport: plan.transport,
    from: localRouteFor(plan, host)?.address ?? '127.100.0.250',
    t1Ms: plan.t1Ms,
  });
}

/** The run's target files, with --local-address applied; a bad address is an error naming the flag. */
function withLocalAddress(plans: TargetPlan[], address: string | undefined): TargetPlan[] {
  if (address === undefined) return plans;
  try {
    interfaceOf(address, '--local-address');
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.USAGE);
  }
  return plans.map((p) => (p.kind === 'external' ? { ...p, local: { address } } : p));
}

/** Resolves the targets named by DNS names, once for the whole run; one that does not resolve stops it. */
async function resolveNames(plans: TargetPlan[]): Promise<Record<string, string>> {
  try {
    return await resolveAll(plans.filter((p) => p.kind === 'external').map((p) => ({ host: p.host!, what: `target file ${p.source}: address` })));
  } catch (e) {
    if (e instanceof UnresolvableHost) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
}

export async function runCommand(o: RunOptions, out: (s: string) => void, err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const { selection, lab } = loadSelection(o);
  const plans = withLocalAddress(selection.plans, o.localAddress);
  // Over TLS the parties verify the target against a CA: the embedded targets make their own, a target file
  // names it (the schema asks for it with transport: tls; --transport tls on a file without it is caught here).
  const tlsFile = plans.find((p) => p.kind === 'external' && (o.transport ?? p.transport) === 'tls' && !p.tls);
  if (tlsFile) {
    throw new CliError(`${o.transport === 'tls' ? '--transport tls' : `target ${tlsFile.name} declares transport tls`}: ${TLS_VERDICTS}`, EXIT.USAGE);
  }
  const shard = o.shard === undefined ? undefined : parseShard(o.shard, '--shard');
  if (o.grep !== undefined) {
    try {
      new RegExp(o.grep);
    } catch (e) {
      throw new CliError(`--grep: "${o.grep}" is not a regular expression: ${(e as Error).message}`, EXIT.USAGE);
    }
  }
  const reportDir = resolve(o.report ?? 'reports');
  const summaryJson = o.json ? resolve(o.json) : join(reportDir, 'summary.json');
  const config = suitesJestConfig({ rootDir: PROJECT_ROOT, suites: o.suite, reportDir, summaryJson, maxWorkers: workersFor(plans, o.workers, err) });
  ensureEnvironment(err);
  await prepareEmbedded(selection, lab, o.suite, err);
  const resolved = await resolveNames(plans);
  try {
    await preflight(plans, resolved);
  } catch (e) {
    err(`sipwright: ${(e as Error).message}`);
    return EXIT.FAILED;
  }

  // A run's results are its own: stale artifacts of an earlier run would be joined into this summary.
  prepareReportDir(reportDir);
  mkdirSync(reportDir, { recursive: true });
  const configFile = join(reportDir, '.jest-suites.config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const where = (host: string, port: number) => (resolved[host] ? `${host} = ${hostPort(resolved[host], port)}` : hostPort(host, port));
  const names = plans.map((p) => `${p.name}${p.host ? ` (${where(p.host, p.port!)}${localNote(p, resolved)})` : ''}`).join(', ');
  out(`sipwright: running ${o.suite?.length ? o.suite.join(', ') : 'every suite'} against ${selection.mode === 'every' ? `every embedded target (${names}), each with the suites its roles allow` : names}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIPWRIGHT_REPORT_DIR: reportDir,
    // Target files as absolute paths: the workers run in the project root, not in the user's directory.
    SIPWRIGHT_TARGETS: JSON.stringify(selection.mode === 'named' ? plans.map((p) => (p.kind === 'external' ? resolve(p.source) : p.source)) : []),
    [SECRETS_ENV]: JSON.stringify(plans.flatMap(secretsOf)),
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  };
  if (o.labConfig) env.SIPWRIGHT_LAB_CONFIG = resolve(o.labConfig);
  if (o.transport) env.SIPWRIGHT_TRANSPORT = o.transport;
  if (o.grep !== undefined) env.SIPWRIGHT_GREP = o.grep;
  if (o.localAddress !== undefined) env.SIPWRIGHT_LOCAL_ADDRESS = o.localAddress;
  if (Object.keys(resolved).length) env[RESOLVED_ENV] = JSON.stringify(resolved);
  const jestBin = join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  if (!existsSync(jestBin)) throw new CliError('jest is not installed: run `npm install` in ' + PROJECT_ROOT, EXIT.ENVIRONMENT);
  const jest = runJest(['--experimental-vm-modules', '--no-warnings', jestBin, '--config', configFile, '--silent', ...(o.grep !== undefined ? ['--testNamePattern', o.grep] : []), ...(shard ? [`--shard=${shard.index}/${shard.count}`] : [])], env, err);
  const code = await jest.exited;
  // A worker killed outright (a crash, or the run stopped by a signal) never ran its cleanup, and a container
  // it was starting may have been created after its last look: its owner is dead now.
  const by = jest.interruption.signal ? `the tests stopped by ${jest.interruption.signal}` : 'a jest worker that did not stop it';
  reapLeftovers(by, err);
  if (jest.interruption.signal) {
    // A container create the daemon was still serving when its worker died shows up a moment later.
    await sleep(1000, jest.interruption.hurry.signal);
    reapLeftovers(by, err);
  }
  const secrets = plans.flatMap(secretsOf);
  const stoppedBy = jest.interruption.signal;
  reportUnfinished(writeInterruptedReport({
    rootDir: PROJECT_ROOT, reportDir, summaryPath: summaryJson, suitesDir: 'suites', junit: junitOptions(config), secrets, signal: stoppedBy,
  }), stoppedBy, out, err);
  let generated = false;
  if (o.allure !== false) {
    try {
      const path = await generateAllureReport(reportDir, { secrets, rootDir: PROJECT_ROOT, abort: jest.interruption.hurry.signal });
      generated = true;
      out(`sipwright: Allure report in ${path} (open with: npx allure open ${path})`);
    } catch (e) {
      err(`sipwright: no Allure report: ${(e as Error).message}`);
    }
  }
  // Without a generated report, the results and artifacts on disk still get their secrets masked.
  if (!generated) finishAllureResults(reportDir, { rootDir: PROJECT_ROOT, secrets });
  out(`sipwright: JSON summary ${summaryJson}, JUnit ${join(reportDir, 'junit.xml')}`);
  jest.release();
  if (stoppedBy) {
    dieOf(stoppedBy);
    return signalExitCode(stoppedBy);
  }
  return code === 0 ? EXIT.OK : EXIT.FAILED;
}

/** ", from 198.18.0.1 on veth0" for a target whose parties share a local address. */
function localNote(plan: TargetPlan, resolved: Record<string, string>): string {
  if (plan.kind !== 'external') return '';
  const route = localRouteFor(plan, resolved[plan.host!] ?? plan.host!);
  return route ? `, from ${route.address} on ${route.iface}` : '';
}

/** A pause that a second signal cuts short. */
const sleep = (ms: number, abort: AbortSignal) =>
  new Promise<void>((done) => {
    if (abort.aborted) return done();
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', () => { clearTimeout(timer); done(); }, { once: true });
  });

/** The jest-junit options of the run's jest config, for a JUnit file written without jest. */
function junitOptions(config: { reporters: (string | [string, Record<string, unknown>])[] }): Record<string, unknown> {
  const entry = config.reporters.find((r) => Array.isArray(r) && r[0] === 'jest-junit');
  return Array.isArray(entry) ? entry[1] : {};
}

function reapLeftovers(by: string, err: (s: string) => void): void {
  for (const c of reapStaleContainers()) err(`sipwright: removed ${c.name || c.id}, left by ${by}`);
  for (const e of reapStale()) err(`sipwright: stopped ${e.name} (pid ${e.pgid}), left by ${by}`);
  for (const n of reapStaleNetns()) err(`sipwright: deleted network namespace ${n}, left by ${by}`);
}

/** What a person reading the output of a stopped run needs: what the report holds, and what was cut short. */
function reportUnfinished(r: InterruptedReport, signal: string | undefined, out: (s: string) => void, err: (s: string) => void): void {
  if (!r.summary) {
    if (r.junitWritten) err('sipwright: jest ended before it wrote junit.xml; written from the results it had reported');
    return;
  }
  const { totals, interrupted } = r.summary;
  for (const t of r.unprinted) out(formatTestLine(t, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
  err(`sipwright: ${signal ? `stopped by ${signal}` : 'jest ended before it reported the run'}; the report holds the ${totals.total} test${totals.total === 1 ? '' : 's'} that finished`);
  for (const u of interrupted?.unfinished ?? []) err(`sipwright:   cut short: ${u.fullName} (${u.file})`);
  out(formatTotals(totals));
}

/** The supervised jest child: its exit code, and whether (and how hard) the run was asked to stop. */
interface JestRun {
  exited: Promise<number>;
  interruption: { signal?: TerminatingSignal; hurry: AbortController };
  /** Gives the signals back to their default handling (dying) once the run is over. */
  release: () => void;
}

/** dockerd, when a worker had to start it, is meant to outlive the run (src/env/docker.ts). */
const isDockerDaemon = (pid: number) => executableName(pid) === 'dockerd';

/**
 * Jest in a process group (and session) of its own: a signal to the run's group, which is what `timeout`, a
 * cancelled CI job, `docker stop` and a closing terminal send, and a signal to this process alone both reach
 * this process and only this one. The first stops jest's group and every endpoint it started (the endpoints
 * live in groups of their own, where no signal to jest reaches them), and lets the report of the tests that
 * finished be written before the run dies of the signal; a second one stops whatever is left at once.
 */
function runJest(args: string[], env: NodeJS.ProcessEnv, err: (s: string) => void): JestRun {
  const interruption: JestRun['interruption'] = { hurry: new AbortController() };
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const pgid = child.pid;
  let running = pgid !== undefined;
  const stopJest = (signal: NodeJS.Signals) => {
    if (running) stopGroupTree(pgid!, signal, isDockerDaemon);
  };
  // However this process ends otherwise (an uncaught error, process.exit), jest's group and what it started go
  // with it. No report then: only what must not be left.
  const withdraw = onExitOrSignal(() => {
    if (!running) return;
    stopJest('SIGKILL');
    waitForGroupEndSync(pgid!, 2000);
    reapStaleContainers();
    reapStale();
    reapStaleNetns();
  });
  const release = interceptSignals((signal, count) => {
    if (count === 1) {
      interruption.signal = signal;
      err(`sipwright: ${signal}: ${running ? 'stopping the tests and the endpoints they started' : 'finishing the report'} (${signal} again to stop at once)…`);
      stopJest(signal);
      // Nothing in jest handles these signals today; should something start to, it gets a bounded while.
      setTimeout(() => stopJest('SIGKILL'), STOP_GRACE_MS).unref();
    } else {
      interruption.hurry.abort();
      stopJest('SIGKILL');
    }
  });
  // Ctrl-Z stopped jest together with this process while they shared the terminal's group: it still does.
  const pause = () => {
    if (running) killGroup(pgid!, 'SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  };
  const resume = () => {
    if (running) killGroup(pgid!, 'SIGCONT');
  };
  process.on('SIGTSTP', pause);
  process.on('SIGCONT', resume);
  const exited = new Promise<number>((done) => {
    child.on('error', (e) => {
      err(`sipwright: could not start jest (${process.execPath}): ${e.message}`);
      done(EXIT.ENVIRONMENT);
    });
    child.on('close', async (c) => {
      // jest's workers can outlive it by a moment; the reaping after it counts on their being gone.
      for (let waited = 0; running && groupMembers(pgid!).length > 0; waited += 50) {
        if (waited >= STOP_GRACE_MS) stopJest('SIGKILL');
        await new Promise((r) => setTimeout(r, 50));
      }
      running = false;
      withdraw();
      process.off('SIGTSTP', pause);
      process.off('SIGCONT', resume);
      done(c ?? EXIT.FAILED);
    });
  });
  return { exited, interruption, release };
}

/** How long jest's group gets to end after the signal is passed on, before SIGKILL. */
const STOP_GRACE_MS = 3000;
