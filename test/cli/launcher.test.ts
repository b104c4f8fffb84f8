/**
 * bin/sipwright.js starts `analyze` in a child node with a larger young generation (a speed setting fixed at
 * V8 start). The child must get the flags, and a signal to the command a user started must end the child too.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/poll.js';

const BIN = join(process.cwd(), 'bin', 'sipwright.js');

function childrenOf(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** The process exists and is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
}

test('analyze runs in a child node with 32 MB semi-spaces, and SIGTERM to the command ends that child', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwright-launcher-'));
  // A FIFO nobody writes to: the child blocks reading it, so it is surely still running when signalled.
  const fifo = join(dir, 'never.pcap');
  execFileSync('mkfifo', [fifo]);
  const launcher = spawn(process.execPath, [BIN, 'analyze', '--json', fifo], { stdio: 'ignore' });
  let child = 0;
  try {
    child = (await until(() => childrenOf(launcher.pid!).find((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('analyze')), (c) => c !== undefined, 10_000, 50)) ?? 0;
    expect(child).toBeGreaterThan(0);
    const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--max-semi-space-size=32');
    expect(argv).toContain('--min-semi-space-size=32');
    const ended = new Promise<NodeJS.Signals | null>((r) => launcher.on('exit', (_c, s) => r(s)));
    launcher.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    // The launcher passed the signal on: the child ends too.
    expect(await until(() => running(child), (alive) => !alive, 5000, 50)).toBe(false);
  } finally {
    launcher.kill('SIGKILL');
    // A child the launcher failed to end must not outlive the test.
    if (child) try { process.kill(child, 'SIGKILL'); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('a launcher run of analyze keeps the exit codes: 2 for an unreadable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwright-launcher-'));
  try {
    let status = 0;
    try {
      execFileSync(process.execPath, [BIN, 'analyze', join(dir, 'missing.pcap')], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
