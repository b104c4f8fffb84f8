/**
 * The containers part of `sipwright doctor`: the docker client and daemon, the offline builder's tools, and
 * which image tags (recipe hashes) are present. Nothing here changes doctor's exit code: the suites still run
 * natively without containers.
 */
import { which } from '../runtime/native.js';
import { dockerdLogFile, dockerStatus } from '../env/docker.js';
import { imageExists } from '../runtime/images/build.js';
import { loadRecipes } from '../runtime/images/recipe.js';

export function doctorContainers(out: (s: string) => void, width: number): void {
  let recipes: ReturnType<typeof loadRecipes> = [];
  let recipeError: string | undefined;
  try {
    recipes = loadRecipes();
  } catch (e) {
    recipeError = (e as Error).message;
  }
  const w = Math.max(width, 'debootstrap'.length, ...recipes.map((r) => `image ${r.name}`.length));
  const row = (name: string, state: string, why?: string) => {
    out(`${name.padEnd(w)}  ${state}`);
    if (why) out(`${''.padEnd(w)}  ${why}`);
  };
  const st = dockerStatus();
  row('docker', st.client ? `ok       client ${st.clientVersion ?? '?'}` : 'MISSING  get it with: apt-get install docker.io', 'for the container runtime (Asterisk, SIPp 3.8 with TLS, baresip)');
  row(
    'dockerd',
    st.serverVersion
      ? `ok       daemon ${st.serverVersion}`
      : st.daemonBinary
        ? `not running (${st.problem}); \`sipwright images build\` starts it as root (log ${dockerdLogFile()})`
        : 'MISSING  get it with: apt-get install docker.io',
  );
  const deb = which('debootstrap');
  row('debootstrap', deb ? `ok       ${deb}` : 'MISSING  get it with: apt-get install debootstrap', 'for building the images without a registry');
  if (recipeError) row('images', `unreadable recipes: ${recipeError}`);
  for (const r of recipes) {
    const state = !st.serverVersion ? 'unknown (docker daemon not running)' : imageExists(r.tag) ? 'present' : 'MISSING  build with: sipwright images build';
    row(`image ${r.name}`, `${r.tag}  ${state}`);
  }
}
