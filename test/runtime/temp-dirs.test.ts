/**
 * Runtime folders (a Kamailio's config with account hashes, an Asterisk's TLS key) do not outlive their run:
 * not after a normal exit, not after Ctrl-C, and not after the owner was killed outright.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapStale } from '../../src/runtime/process-registry.js';
import { ROOT } from '../suites/support.js';

const compiled = join(ROOT, 'dist', 'src', 'runtime', 'temp-dirs.js');

/** A node process that makes a folder with ownTempDir, prints it, and then exits or waits for a signal. */
function child(then: 'exit' | 'wait') {
  const code = `const { ownTempDir } = await import(${JSON.stringify(compiled)}); console.log(ownTempDir('t')); ${then === 'wait' ? 'setInterval(() => {}, 1000);' : ''}`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(p: ReturnType<typeof child>): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
  });
}

beforeAll(() => {
  // The CLI compiles the sources on first use; the children import the compiled module.
  expect(spawnSync(process.execPath, [join(ROOT, 'bin', 'sipwright.js'), '--version'], { stdio: 'ignore' }).status).toBe(0);
}, 120_000);

test('a folder from ownTempDir is gone once the process has exited normally', async () => {
  const p = child('exit');
  const dir = await firstLine(p);
  await new Promise((r) => p.on('close', r));
  expect(dir).toMatch(/sipwright-t-/);
  expect(existsSync(dir)).toBe(false);
});

test('… and once it has been stopped by Ctrl-C, still dying of the signal', async () => {
  const p = child('wait');
  const dir = await firstLine(p);
  expect(existsSync(dir)).toBe(true);
  const closed = new Promise<NodeJS.Signals | null>((r) => p.on('close', (_code, signal) => r(signal)));
  p.kill('SIGINT');
  expect(await closed).toBe('SIGINT');
  expect(existsSync(dir)).toBe(false);
});

test('a process group whose owner was killed outright has its recorded folder removed by reapStale', () => {
  const saved = process.env.SIPWRIGHT_STATE_DIR;
  const state = mkdtempSync(join(tmpdir(), 'sipwright-state-test-'));
  const runtimeDir = mkdtempSync(join(tmpdir(), 'sipwright-kamailio-test-'));
  try {
    process.env.SIPWRIGHT_STATE_DIR = state;
    mkdirSync(join(state, 'procs'), { recursive: true });
    // An owner pid that cannot exist, and a group that is gone: only the folder is left to clean.
    writeFileSync(join(state, 'procs', '999999.json'), JSON.stringify({ pgid: 999999, name: 'kamailio@x', command: 'kamailio', owner: 999999, ownerStart: '1', dir: runtimeDir }));
    expect(reapStale().map((e) => e.name)).toEqual(['kamailio@x']);
    expect(existsSync(runtimeDir)).toBe(false);
  } finally {
    if (saved === undefined) delete process.env.SIPWRIGHT_STATE_DIR;
    else process.env.SIPWRIGHT_STATE_DIR = saved;
    rmSync(state, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  }
});
