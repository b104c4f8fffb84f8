/** The `sipwright` command. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

// Each command's module is loaded when the command runs: `run` and `lab` pull in testcontainers and the
// report writers, a fifth of a second that `analyze` and `check-message` need not pay.
const analyze = () => import('./analyze.js');
const checkMessage = () => import('./check-message.js');
const doctor = () => import('./doctor.js');
const images = () => import('./images.js');
const lab = () => import('./lab.js');
const run = () => import('./run.js');
const grade = () => import('./grade.js');

/** The version in package.json (two folders up from src/cli, whether compiled to dist/ or not). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sipwright' && pkg.version) return pkg.version;
    } catch {
      /* not this one */
    }
  }
  return 'unknown';
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

const lineToStdout = (s: string) => { process.stdout.write(s + '\n'); };

/**
 * @param out    prints a line of output
 * @param write  prints output text as it is: stdout when `out` is, else everything goes through `out`
 */
export async function main(
  argv: string[],
  out: (s: string) => void = lineToStdout,
  write: ((s: string) => void) | undefined = out === lineToStdout ? (s) => { process.stdout.write(s); } : undefined,
): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command()
    .name('sipwright')
    .description('SIP conformance and interop test harness: verdicts from the wire')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    // --help and --version through `out` like every other output, so callers (and tests) get them.
    .configureOutput({ writeOut: (s) => out(s.replace(/\n$/, '')), writeErr: (s) => process.stderr.write(s) });

  program
    .command('analyze')
    .description('print the ladder and rule findings of a pcap/pcapng capture (exit 1 on MUST-level findings)')
    .argument('<file>', 'capture file (pcap or pcapng)')
    .option('--json', 'print JSON: messages (time, src, dst, transport, method or status, Call-ID, CSeq) and findings')
    .option('--html <out>', 'also write a self-contained HTML ladder (click an arrow to see the message)')
    .option('--party <address=name>', 'name a party, e.g. 127.0.0.1:5060=alice (repeatable)', collect)
    .option('--rules <ids>', 'only these rule ids or prefixes, comma-separated (e.g. REL-,SYN-06)', (v) => v.split(','))
    .option('--t1 <seconds>', 'T1 used by timer rules (default 0.5)', positiveNumber)
    .option('--no-ladder', 'findings only, no ladder')
    .action(async (file: string, opts) => {
      const { analyzeCommand } = await analyze();
      // Progress only for a person at a terminal running the command itself, never into a caller's `out`.
      const progress = out === lineToStdout ? (await import('./progress-line.js')).ProgressLine.forStderr('sipwright analyze') : undefined;
      code = analyzeCommand(file, opts, out, write, progress);
    });

  program
    .command('check-message')
    .description('parse one raw SIP message (exit 0 valid, 1 invalid with the reasons, 2 unreadable)')
    .argument('<file>', 'file holding the message bytes, or - for stdin')
    .option('--json', 'print the verdict and diagnostics as JSON')
    .option('--stream', 'frame as on TCP (Content-Length required) instead of as one datagram')
    .action(async (file: string, opts) => { code = (await checkMessage()).checkMessageCommand(file, opts, out); });

  program
    .command('run')
    // A stray word (`run --suite a --no-allure b`) is a mistake to report, not a suite to drop silently.
    .allowExcessArguments(false)
    .description('run the conformance suites against a target (default: the embedded lab) and write the report')
    .option('--target <file|name>', 'target file (YAML/JSON), embedded:kamailio or embedded:asterisk; repeat for several (default: every embedded target, each running the suites whose roles it has)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--suite <names...>', 'only these suites (folders under suites/)')
    .option('--transport <udp|tcp|tls>', 'transport the user agents use (default: the target\'s)')
    .option('--report <dir>', 'report directory (default: reports)')
    .option('--json <file>', 'write the JSON summary here (default: <report>/summary.json)')
    .option('--lab-config <file>', 'embedded lab settings (T1, domain, accounts, registrar limits, proxyAuth)')
    .option('--workers <n>', 'parallel jest workers (default: 3 on the embedded lab, 1 with a target file, whose accounts the workers would share)')
    .option('--local-address <ip>', 'the local address the parties share towards a target file (default: the one that routes to it; a target on loopback gives each party its own)')
    .option('--grep <pattern>', 'only the tests whose full name matches this regular expression (jest\'s test-name pattern); the others are reported as skipped')
    .option('--shard <i/n>', 'run the i-th of n parts of the test files (jest --shard), for a CI matrix; merge with `report merge`')
    .option('--no-allure', 'skip allure generate (JUnit and JSON are still written)')
    .action(async (opts) => {
      if (opts.transport && !['udp', 'tcp', 'tls'].includes(opts.transport)) {
        throw new CliError(`--transport: expected udp, tcp or tls, got "${opts.transport}"`, EXIT.USAGE);
      }
      code = await (await run()).runCommand(opts, out);
    });

  program
    .command('grade')
    .allowExcessArguments(false)
    .description("grade a class: each student's target through the suites a rubric needs, scored per item, with the evidence per cell")
    .requiredOption('--rubric <file>', 'the rubric (YAML/JSON): items, their points and the tests that earn them (e.g. rubrics/sip-course.yaml)')
    .requiredOption('--class <file|dir>', 'the students (YAML/JSON with students: [{ id, name, target }]), or a folder of target files')
    .option('--out <dir>', 'where the gradebook goes (default: grades)')
    .option('--parallel <n>', 'students graded at once, each on ports of its own (default 2)')
    .option('--only <ids...>', 're-grade these students and merge them into the gradebook in --out')
    .option('--shard <i/n>', 'grade every n-th student from the i-th, for a CI matrix (merge with `report merge`)')
    .option('--local-address <ip>', 'the local address the parties share towards the students\' targets')
    .action(async (opts) => { code = await (await grade()).gradeCommand(opts, out); });

  const reportCommand = program.command('report').description('reports of runs and gradings split over a CI matrix');
  reportCommand
    .command('merge')
    .description('merge the parts of a sharded run or grading (summary.json, junit.xml, Allure results, artifacts, gradebooks) into one')
    .argument('<dirs...>', 'the parts\' report or gradebook folders')
    .requiredOption('--out <dir>', 'where the merged report goes')
    .action(async (dirs: string[], opts: { out: string }) => {
      const { mergeReports } = await import('../report/merge.js');
      try {
        const r = mergeReports(dirs, opts.out);
        out(`sipwright: merged ${r.parts} parts into ${opts.out}: ${r.tests} tests, ${r.students} students`);
        code = EXIT.OK;
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.USAGE);
      }
    });

  const labCommand = program.command('lab').description('keep the embedded lab running, to explore it with your own phone or sngrep');
  labCommand
    .command('up')
    .description('start the lab registrar/proxy and leave it running')
    .option('--address <ip:port>', 'where it listens (default 127.0.0.1:5060)')
    .option('--lab-config <file>', 'lab settings (domain, accounts, registrar limits)')
    .action(async (opts) => { code = await (await lab()).labUp(opts, out); });
  labCommand.command('down').description('stop the lab').action(async () => { code = await (await lab()).labDown(out); });
  labCommand.command('status').description('is the lab up, does it answer, who is registered').action(async () => { code = await (await lab()).labStatus(out); });

  const imagesCommand = program.command('images').description('the lab\'s container images (kamailio, sipp, asterisk, baresip), built without a registry');
  imagesCommand
    .command('build')
    .description('build the images whose current tag is missing (debootstrap, chroot install, docker import; needs root)')
    .option('--only <names...>', 'only these images')
    .option('--force', 'rebuild even when the tag exists')
    .action(async (opts) => { code = await (await images()).imagesBuild(opts, out); });
  imagesCommand.command('list').description('each image, its tag (recipe hash) and whether it is present').action(async () => { code = await (await images()).imagesList(out); });

  program
    .command('doctor')
    .description('list each dependency, its version or absence, and how to get it')
    .action(async () => { code = (await doctor()).doctorCommand(out); });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is a usage error.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof CliError) {
      process.stderr.write(`sipwright: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  return code;
}
