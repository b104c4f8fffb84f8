#!/usr/bin/env node
// Entry point that works straight after `git clone`: it installs the npm packages and compiles the
// TypeScript on first use (or when a source file changed), then runs the compiled CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// `analyze` keeps nearly every object it parses until the end, so V8's young generation (16 MB semi-spaces by
// default) fills and copies the same survivors again and again. 32 MB semi-spaces halve the scavenges: 5 to 12%
// faster on the 200k-message bench capture (README, Speed). The size is fixed when V8 starts
// (v8.setFlagsFromString is too late for it), so analyze runs in a child node started with it.
const YOUNG_GENERATION = ['--max-semi-space-size=32', '--min-semi-space-size=32'];
if (process.argv[2] === 'analyze' && !process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
  const child = spawn(process.execPath, [...process.execArgv, ...YOUNG_GENERATION, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Passed on, so that a kill of this process (a test runner's timeout) does not leave the child running.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`sipwright: could not start ${process.execPath}: ${e.message}\n`);
    process.exit(3);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  const entry = join(root, 'dist', 'src', 'cli', 'main.js');

  function run(cmd, args, what) {
    process.stderr.write(`sipwright: ${what}…\n`);
    const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
    if (r.status !== 0) {
      process.stderr.write(`sipwright: ${what} failed (${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}).\n`);
      process.exit(3);
    }
  }

  function newestSource(dir) {
    let newest = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
    return newest;
  }

  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  // A pull that changed the dependencies leaves the lock file newer than npm's record of the install.
  if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], 'installing npm packages (first run)');
  }
  if (!existsSync(entry) || statSync(entry).mtimeMs < Math.max(...['src', 'drivers', 'bench'].map((d) => (existsSync(join(root, d)) ? newestSource(join(root, d)) : 0)))) {
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], 'compiling');
  }
  // `sipwright analyze big.pcap | head` closes the pipe early: that ends the output, it is not a crash. The
  // verdict was not all written, so the status is a tool's killed by SIGPIPE (128 + 13), as `yes | head` gives.
  // A run is different: its reader goes away with it (`sipwright run | tee log` stopped by Ctrl-C or a cancelled
  // CI job, a closed terminal: EIO), and what it still has to do, stop its endpoints and write the report of the
  // tests that finished, needs no output. An unhandled error here would end the process before that.
  const EXIT_BROKEN_PIPE = 141;
  const outputGone = (e) => e.code === 'EPIPE' || e.code === 'EIO' || e.code === 'ERR_STREAM_DESTROYED';
  const keepsGoing = process.argv[2] === 'run';
  process.stdout.on('error', (e) => {
    if (!outputGone(e)) throw e;
    if (!keepsGoing) process.exit(EXIT_BROKEN_PIPE);
  });
  process.stderr.on('error', (e) => {
    if (!outputGone(e)) throw e;
  });
  const { main } = await import(pathToFileURL(entry).href);
  process.exitCode = await main(process.argv.slice(2));
}
