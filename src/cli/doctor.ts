/** `sipwright doctor`: each dependency, its version or absence, and how to get it. */
import { aptCommand, checkDependencies, isRoot } from '../env/deps.js';
import { doctorContainers } from './doctor-containers.js';
import { EXIT } from './exit-codes.js';

export function doctorCommand(out: (s: string) => void): number {
  const statuses = checkDependencies();
  const nameWidth = Math.max(...statuses.map((s) => s.dep.name.length));
  out(`node      ${process.version}${Number(process.versions.node.split('.')[0]) >= 20 ? '' : '   (sipwright needs Node 20 or later)'}`);
  out(`user      ${isRoot() ? 'root (can install packages and capture)' : 'not root: captures need root (or CAP_NET_RAW on tcpdump), installs need sudo'}`);
  out('');
  for (const s of statuses) {
    const state = s.path ? `ok       ${s.version ?? s.path}` : `MISSING  get it with: ${isRoot() ? '' : 'sudo '}${aptCommand([s.dep.debian])}`;
    out(`${s.dep.name.padEnd(nameWidth)}  ${state}`);
    out(`${''.padEnd(nameWidth)}  for ${s.dep.purpose}${s.dep.neededFor.includes('run') ? '' : ' (project tests only)'}`);
  }
  out('');
  doctorContainers(out, nameWidth);
  const missingForRun = statuses.filter((s) => !s.path && s.dep.neededFor.includes('run'));
  const missingAll = statuses.filter((s) => !s.path);
  out('');
  if (missingAll.length === 0) {
    out('everything sipwright needs is installed.');
    return EXIT.OK;
  }
  out(`missing: ${missingAll.map((s) => s.dep.name).join(', ')}. Install all with:`);
  out(`  ${isRoot() ? '' : 'sudo '}apt-get update && ${isRoot() ? '' : 'sudo '}${aptCommand(missingAll.map((s) => s.dep.debian))}`);
  out('(`sipwright run` and `npm test` install them by themselves when run as root.)');
  return missingForRun.length ? EXIT.ENVIRONMENT : EXIT.OK;
}
