/**
 * A throwaway root filesystem to install packages into: made from a cached debootstrap of its suite (35 s saved
 * per image after the first of that suite), with proc, sys and devpts mounted only while apt runs. Whatever
 * happens (a failed step, Ctrl-C), its mounts are undone before the folder is removed: `rm -rf` through a
 * mounted /sys or /dev/pts would reach the host's.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { onExitOrSignal } from '../exit-cleanup.js';
import { killRunningSteps, run, step, type StepContext } from './steps.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export function cacheDir(): string {
  const dir = process.env.SIPWRIGHT_CACHE_DIR ?? '/var/cache/sipwright';
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function mirror(): string {
  return process.env.SIPWRIGHT_DEBIAN_MIRROR ?? DEFAULT_MIRROR;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mounts, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mounts', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `dir` (lazily when busy). Synchronous so exit and signal handlers can use it. */
export function unmountAll(dir: string): void {
  for (const m of mountsUnder(dir)) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
}

/** Removes a rootfs folder, never while anything is still mounted inside it. */
export function removeRootfs(dir: string): void {
  unmountAll(dir);
  const left = mountsUnder(dir);
  if (left.length) throw new Error(`not removing ${dir}: still mounted: ${left.join(', ')}`);
  // Retries: a process killed a moment ago may still be closing files inside.
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

const live = new Set<string>();
let handlersInstalled = false;

function cleanupAll(): void {
  if (live.size === 0) return;
  killRunningSteps();
  // A SIGKILLed process's files are released once the kernel reaps it: a moment, waited for synchronously
  // because this runs in exit and signal handlers.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  for (const dir of live) {
    try {
      removeRootfs(dir);
    } catch {
      /* the next build's sweep will retry */
    }
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  onExitOrSignal(cleanupAll);
}

/** Leftover rootfs folders of a build that was killed with SIGKILL: unmount and remove them. */
export function sweepStaleRootfs(): string[] {
  const root = join(cacheDir(), 'work');
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const pid = Number(name.split('-')[1]);
    if (pid && existsSync(`/proc/${pid}`)) continue;
    removeRootfs(join(root, name));
    removed.push(name);
  }
  return removed;
}

/** A fresh folder for a rootfs, named after this process so a sweep can tell whose it is. */
export function newRootfsDir(): string {
  const root = join(cacheDir(), 'work');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, `rootfs-${process.pid}-`));
  installHandlers();
  live.add(dir);
  return dir;
}

export function releaseRootfs(dir: string): void {
  removeRootfs(dir);
  live.delete(dir);
}

/** The cached tarball of `debootstrap --variant=minbase SUITE`, made on first use. */
export async function baseTarball(ctx: StepContext, suite: string): Promise<string> {
  const tarball = join(cacheDir(), `base-${suite}-minbase.tar`);
  if (existsSync(tarball)) return tarball;
  const dir = newRootfsDir();
  try {
    await step(ctx, `debootstrap --variant=minbase ${suite} (cached for the next image)`, () =>
      run(ctx, 'debootstrap', ['--variant=minbase', suite, dir, mirror()]),
    );
    // debootstrap leaves the ~80 MB of .debs it installed; every unpack of the base would copy them again.
    rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
    const tmp = `${tarball}.${process.pid}.part`;
    await step(ctx, 'save the base rootfs', () => run(ctx, 'tar', ['--numeric-owner', '-C', dir, '-cf', tmp, '.']));
    renameSync(tmp, tarball);
  } finally {
    releaseRootfs(dir);
  }
  return tarball;
}

/** Unpacks the base into a new rootfs folder and prepares it for apt inside a chroot. */
export async function rootfsFromBase(ctx: StepContext, tarball: string): Promise<string> {
  const dir = newRootfsDir();
  await step(ctx, 'unpack the base rootfs', () => run(ctx, 'tar', ['--numeric-owner', '-xpf', tarball, '-C', dir]));
  // No service may start during the install (Asterisk's postinst would otherwise try to).
  const policy = join(dir, 'usr/sbin/policy-rc.d');
  writeFileSync(policy, '#!/bin/sh\nexit 101\n');
  chmodSync(policy, 0o755);
  copyFileSync('/etc/resolv.conf', join(dir, 'etc/resolv.conf'));
  return dir;
}

/** Mounts proc, sys and devpts for the duration of `fn` (apt's maintainer scripts need them). */
export async function withMounts<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const mounts: Array<[string, string]> = [['proc', 'proc'], ['sysfs', 'sys'], ['devpts', 'dev/pts']];
  try {
    for (const [type, at] of mounts) {
      mkdirSync(join(dir, at), { recursive: true });
      const r = spawnSync('mount', ['-t', type, type, join(dir, at)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mount -t ${type} ${join(dir, at)} failed: ${r.stderr.trim()}`);
    }
    return await fn();
  } finally {
    unmountAll(dir);
  }
}

/** apt-get inside the chroot, non-interactive; sid's Release file is dated, so its validity is not checked. */
export function chrootApt(ctx: StepContext, dir: string, suite: string, args: string[]): Promise<void> {
  const opts = suite === 'sid' ? ['-o', 'Acquire::Check-Valid-Until=false'] : [];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  return run(ctx, 'chroot', [dir, 'apt-get', ...opts, ...args], env);
}

/** What an image should not carry: apt caches, lists and our install-time policy. */
export function trimRootfs(dir: string): void {
  rmSync(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
  mkdirSync(join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
  rmSync(join(dir, 'usr/sbin/policy-rc.d'), { force: true });
  rmSync(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
}
