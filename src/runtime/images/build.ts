/**
 * The offline image builder: no registry, only Debian's mirror. debootstrap (cached per suite) → chroot
 * apt-get install → trim → `tar | docker import -c 'CMD …'`, giving the tag the recipe's hash names. It makes
 * the same tags as `docker build` of the Dockerfile next to each recipe would.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { which } from '../native.js';
import { COMPILER_PACKAGES, compileCommand, loadRecipe, loadRecipes, type Recipe } from './recipe.js';
import { baseTarball, cacheDir, chrootApt, releaseRootfs, rootfsFromBase, sweepStaleRootfs, trimRootfs, withMounts } from './rootfs.js';
import { BuildError, pipe, run, seconds, step, type StepContext } from './steps.js';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { stdio: 'ignore' }).status === 0;
}

/** Size of a local image in MB (docker's own figure), or undefined when it is not there. */
export function imageSizeMb(tag: string): number | undefined {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Size}}', tag], { encoding: 'utf8' });
  return r.status === 0 ? Math.round(Number(r.stdout.trim()) / 1e6) : undefined;
}

function imageId(tag: string): string | undefined {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Removes what the new image replaces: tags of older recipes of the same image, and the image a forced
 * rebuild untagged (each is 170-380 MB). An image a container still uses is kept (docker refuses).
 */
function pruneReplaced(recipe: Recipe, previousId: string | undefined): string[] {
  const repo = `sipwright/${recipe.name}`;
  const tags = spawnSync('docker', ['images', repo, '--format', '{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const old = tags.filter((t) => t !== recipe.hash).map((t) => `${repo}:${t}`);
  if (previousId && previousId !== imageId(recipe.tag)) old.push(previousId);
  const removed = old.filter((ref) => spawnSync('docker', ['rmi', ref], { stdio: 'ignore' }).status === 0);
  return removed;
}

export interface BuildOptions {
  log: (s: string) => void;
}

export interface BuildResult {
  name: string;
  tag: string;
  ms: number;
  sizeMb?: number;
}

function checkTools(): void {
  const missing = ['debootstrap', 'chroot', 'mount', 'tar', 'docker'].filter((c) => !which(c));
  if (missing.length) throw new BuildError(`the offline image builder needs ${missing.join(', ')}: apt-get install debootstrap docker.io`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new BuildError('the offline image builder needs root (debootstrap, chroot and mount); run it with sudo');
  }
}

/** Builds one image from its recipe (whether or not it exists already). */
export async function buildImage(recipe: Recipe, opts: BuildOptions): Promise<BuildResult> {
  checkTools();
  const t0 = Date.now();
  const ctx: StepContext = { label: recipe.name, logFile: join(cacheDir(), `build-${recipe.name}.log`), log: opts.log };
  const previousId = imageId(recipe.tag);
  const tarball = await baseTarball(ctx, recipe.suite);
  const dir = await rootfsFromBase(ctx, tarball);
  try {
    await withMounts(dir, async () => {
      await step(ctx, `apt-get update (${recipe.suite})`, () => chrootApt(ctx, dir, recipe.suite, ['update']));
      await step(ctx, `apt-get install ${recipe.packages.join(' ')}`, () =>
        chrootApt(ctx, dir, recipe.suite, ['install', '-y', '--no-install-recommends', ...recipe.packages]),
      );
      if (recipe.compile?.length) await step(ctx, `compile ${recipe.compile.map((c) => c.source).join(' ')}`, () => compileInRootfs(ctx, dir, recipe));
      await chrootApt(ctx, dir, recipe.suite, ['clean']);
    });
    trimRootfs(dir);
    await step(ctx, `docker import ${recipe.tag}`, () =>
      pipe(ctx, ['tar', ['--numeric-owner', '-C', dir, '-c', '.']], ['docker', ['import', '-c', `CMD ${JSON.stringify(recipe.cmd)}`, '-', recipe.tag]]),
    );
  } finally {
    releaseRootfs(dir);
  }
  for (const ref of pruneReplaced(recipe, previousId)) opts.log(`[${recipe.name}] removed the image it replaces: ${ref}`);
  const sizeMb = imageSizeMb(recipe.tag);
  const ms = Date.now() - t0;
  opts.log(`[${recipe.name}] ${recipe.tag} built in ${seconds(ms)} (${sizeMb ?? '?'} MB)`);
  return { name: recipe.name, tag: recipe.tag, ms, sizeMb };
}

/** Builds the recipe's C sources inside the rootfs with a compiler installed for it, then purges the compiler. */
async function compileInRootfs(ctx: StepContext, dir: string, recipe: Recipe): Promise<void> {
  const work = join(dir, 'tmp/sipwright-build');
  mkdirSync(work, { recursive: true });
  await chrootApt(ctx, dir, recipe.suite, ['install', '-y', '--no-install-recommends', ...COMPILER_PACKAGES]);
  const env = { ...process.env, LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const c of recipe.compile ?? []) {
    copyFileSync(join(recipe.dir, c.source), join(work, c.source));
    await run(ctx, 'chroot', [dir, ...compileCommand(`/tmp/sipwright-build/${c.source}`, c.output)], env);
  }
  await chrootApt(ctx, dir, recipe.suite, ['purge', '-y', '--auto-remove', ...COMPILER_PACKAGES]);
  rmSync(work, { recursive: true, force: true });
}

export interface BuildMissingOptions extends BuildOptions {
  /** Only these images (names of folders under docker/). */
  only?: string[];
  /** Rebuild even when the tag exists. */
  force?: boolean;
}

/** Builds every image whose current tag is missing (or all of them with force). */
export async function buildMissing(opts: BuildMissingOptions): Promise<{ built: BuildResult[]; present: Recipe[] }> {
  const recipes = opts.only?.length ? opts.only.map((n) => loadRecipe(n)) : loadRecipes();
  const todo = recipes.filter((r) => opts.force || !imageExists(r.tag));
  const present = recipes.filter((r) => !todo.includes(r));
  for (const r of present) opts.log(`[${r.name}] ${r.tag} is present`);
  if (todo.length === 0) return { built: [], present };
  for (const stale of sweepStaleRootfs()) opts.log(`removed a crashed build's rootfs: ${stale}`);
  // Same-suite images next to each other, so the base rootfs is unpacked from a warm page cache.
  todo.sort((a, b) => a.suite.localeCompare(b.suite));
  const built: BuildResult[] = [];
  for (const r of todo) built.push(await buildImage(r, opts));
  return { built, present };
}
