/** `sipwright images build|list`: the container images of the lab, built offline from docker/<name>/recipe.json. */
import { DockerUnavailable, ensureDocker } from '../env/docker.js';
import { buildMissing, imageExists, imageSizeMb } from '../runtime/images/build.js';
import { loadRecipes } from '../runtime/images/recipe.js';
import { BuildError, seconds } from '../runtime/images/steps.js';
import { CliError, EXIT } from './exit-codes.js';

const progress = (s: string) => process.stderr.write(`${s}\n`);

async function dockerOrFail(): Promise<void> {
  try {
    await ensureDocker(progress);
  } catch (e) {
    if (e instanceof DockerUnavailable) throw new CliError(e.message, EXIT.ENVIRONMENT);
    throw e;
  }
}

export async function imagesBuild(opts: { only?: string[]; force?: boolean }, out: (s: string) => void): Promise<number> {
  await dockerOrFail();
  const t0 = Date.now();
  try {
    const { built, present } = await buildMissing({ only: opts.only, force: opts.force, log: progress });
    for (const b of built) out(`built    ${b.tag}  ${b.sizeMb ?? '?'} MB  ${seconds(b.ms)}`);
    for (const r of present) out(`present  ${r.tag}`);
    out(`${built.length} built, ${present.length} already present, ${seconds(Date.now() - t0)}`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof BuildError) throw new CliError(e.message, EXIT.ENVIRONMENT);
    if (e instanceof Error && /no image named|recipe\.json/.test(e.message)) throw new CliError(e.message, EXIT.USAGE);
    throw e;
  }
}

export async function imagesList(out: (s: string) => void): Promise<number> {
  await dockerOrFail();
  let missing = 0;
  for (const r of loadRecipes()) {
    const there = imageExists(r.tag);
    if (!there) missing++;
    out(`${r.name.padEnd(9)} ${r.tag.padEnd(32)} ${there ? `present  ${imageSizeMb(r.tag)} MB` : 'MISSING  (sipwright images build)'}  ${r.suite}: ${r.packages.join(' ')}`);
  }
  return missing ? EXIT.ENVIRONMENT : EXIT.OK;
}
