import { relative, resolve, sep, dirname, basename } from 'node:path';

/**
 * The suite a test file belongs to: the folder right under the suites dir (`suites/register/x.test.ts`
 * → `register`). A file elsewhere is named by its own folder, so the harness's fixture suites work too.
 */
export function suiteOfFile(file: string, rootDir: string, suitesDir = 'suites'): string {
  const rel = relative(resolve(rootDir, suitesDir), resolve(rootDir, file));
  const parts = rel.split(sep);
  if (!rel.startsWith('..') && parts.length > 1 && parts[0]) return parts[0];
  return basename(dirname(resolve(rootDir, file)));
}
