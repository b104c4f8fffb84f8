/**
 * Whether an embedded target can run on this machine, decided before any test: natively when its binary is
 * installed (and the lab config allows it), else in its container, which needs a docker daemon and the image.
 */
import { dockerStatus } from '../env/docker.js';
import { imageExists } from '../runtime/images/build.js';
import { imageTag } from '../runtime/images/recipe.js';
import { resolveRuntime } from '../runtime/kind.js';
import type { LabConfig } from './schema.js';
import type { EmbeddedName } from './target.js';

/** The lab node behind each embedded target: its binary, its image (docker/<name>) and its runtime setting. */
export function embeddedNode(name: EmbeddedName): 'kamailio' | 'asterisk' {
  return name === 'embedded:asterisk' ? 'asterisk' : 'kamailio';
}

let docker: ReturnType<typeof dockerStatus> | undefined;

/** Undefined when the target can start here, else what is missing and how to get it. */
export function embeddedUnavailable(name: EmbeddedName, lab: LabConfig): string | undefined {
  const node = embeddedNode(name);
  if (resolveRuntime(lab.runtime[node], node) === 'native') return undefined;
  docker ??= dockerStatus();
  if (!docker.serverVersion) {
    return `${name} runs in a container, and no docker daemon answers (${docker.problem ?? 'unknown'}): run as root so sipwright starts dockerd, or start it yourself`;
  }
  const tag = imageTag(node);
  if (!imageExists(tag)) return `${name} needs the image ${tag}, which is not built: run \`sipwright images build --only ${node}\` (as root)`;
  return undefined;
}

/**
 * Undefined when a real phone (baresip, lab.phone) can start here, else what is missing: it runs natively when
 * installed, else in the baresip image. A test that needs one is skipped with this reason.
 */
export function phoneUnavailable(): string | undefined {
  if (resolveRuntime('auto', 'baresip') === 'native') return undefined;
  docker ??= dockerStatus();
  if (!docker.serverVersion) return `the baresip phone runs in a container, and no docker daemon answers (${docker.problem ?? 'unknown'})`;
  const tag = imageTag('baresip');
  if (!imageExists(tag)) return `the baresip phone needs the image ${tag}, which is not built: run \`sipwright images build --only baresip\` (as root)`;
  return undefined;
}

/** Forget the cached docker status (after starting dockerd or building an image). */
export function resetEmbeddedChecks(): void {
  docker = undefined;
}
