/**
 * Image recipes: `docker/<name>/recipe.json` says which Debian suite, which packages and which CMD. The
 * offline builder reads it; the Dockerfile next to it says the same for machines with a registry. The tag
 * carries a hash of the folder, so changing a recipe (or its Dockerfile) gives a new tag and a rebuild.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const RecipeSchema = z.strictObject({
  suite: z.enum(['bookworm', 'sid']),
  packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).min(1),
  /**
   * C sources of the recipe's folder built into shared objects inside the image (COMPILE_COMMAND), with a
   * compiler installed for it and purged after: SIPp's TLS key log shim.
   */
  compile: z.array(z.strictObject({ source: z.string().regex(/^[\w.-]+\.c$/, 'a .c file of the recipe folder'), output: z.string().regex(/^\/usr\/local\/lib\/[\w.-]+\.so$/, 'a .so under /usr/local/lib') })).optional(),
  cmd: z.array(z.string()).min(1),
});

/** The packages a compile step installs, and purges once it is done. */
export const COMPILER_PACKAGES = ['gcc', 'libc6-dev'];

/** How a source is built (the same in the offline builder and the Dockerfile). */
export function compileCommand(source: string, output: string): string[] {
  return ['gcc', '-shared', '-fPIC', '-O2', '-Wall', '-o', output, source, '-ldl'];
}

export interface Recipe extends z.infer<typeof RecipeSchema> {
  name: string;
  dir: string;
  /** First 12 hex digits of the sha256 of the folder's files (names and bytes) and the builder version. */
  hash: string;
  /** `sipwright/<name>:<hash>`. */
  tag: string;
}

/**
 * Bumped when the offline builder changes what it puts in an image, so every tag changes with it.
 * 1: debootstrap minbase, chroot apt-get install --no-install-recommends, apt lists removed.
 */
export const BUILDER_VERSION = '1';

/** The repository root: the first folder above this module that holds docker/ and package.json (src or dist). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'docker'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the sipwright folder (package.json with docker/) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function dockerDir(): string {
  return process.env.SIPWRIGHT_DOCKER_DIR ?? join(repoRoot(), 'docker');
}

function folderHash(dir: string): string {
  const h = createHash('sha256').update(`builder ${BUILDER_VERSION}\n`);
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (!statSync(p).isFile()) continue;
    h.update(`${f}\n`).update(readFileSync(p)).update('\n');
  }
  return h.digest('hex').slice(0, 12);
}

export function loadRecipe(name: string, root = dockerDir()): Recipe {
  const dir = join(root, name);
  const file = join(dir, 'recipe.json');
  if (!existsSync(file)) throw new Error(`no image named "${name}" (no ${file}); known: ${recipeNames(root).join(', ')}`);
  const parsed = RecipeSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const hash = folderHash(dir);
  return { ...parsed.data, name, dir, hash, tag: `sipwright/${name}:${hash}` };
}

/** Every folder under docker/ that has a recipe.json, sorted. */
export function recipeNames(root = dockerDir()): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'recipe.json')))
    .map((e) => e.name)
    .sort();
}

export function loadRecipes(root = dockerDir()): Recipe[] {
  return recipeNames(root).map((n) => loadRecipe(n, root));
}

/** The tag a driver runs: the current recipe's (a stale image from an older recipe is never used). */
export function imageTag(name: string): string {
  return loadRecipe(name).tag;
}
