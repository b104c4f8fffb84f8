#!/usr/bin/env node
// Entry point that works straight after `git clone`: it installs the npm packages and compiles the
// TypeScript on first use (or when a source file changed), then runs the compiled CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
const EXIT_BROKEN_PIPE = 141;
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
  throw e;
});
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
