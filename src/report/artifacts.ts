/**
 * Per-test artifacts: `<report>/artifacts/<suite>/<test-slug>/` holds the capture, the ladders, the
 * scenario XML and the endpoint logs of one test, and a meta.json that the reporters (which run in
 * jest's parent process and cannot see the test's memory) join with jest's results.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface TestMeta {
  suite: string;
  /** The test file: absolute, or relative to jest's rootDir. */
  file: string;
  /** jest's full name: describe titles and the test title joined by single spaces. */
  fullName: string;
  /** What the test ran against (a target file's name, or `lab`). */
  target?: string;
  /** Ids of the rules that fired on the test's capture. */
  rules: string[];
  /** Number of rule findings (a rule can fire more than once). */
  findings: number;
  /** Paths relative to the report dir. */
  pcap?: string;
  ladderText?: string;
  ladderHtml?: string;
  /** Set at collection time for a test that will not run (for example the target lacks a role). */
  skipReason?: string;
  /**
   * The test's own time on the wall, from its capture's start to its evidence kept: for a background test
   * its whole wait, where jest's duration counts only what was left of it when jest reached it.
   */
  elapsedMs?: number;
}

export const ARTIFACTS = 'artifacts';
export const META_FILE = 'meta.json';

const SLUG_MAX = 60;

/**
 * A directory name for a test: readable (lower-case words) and unique per full name (a short hash,
 * since "REGISTER: 401" and "register 401" would otherwise collide).
 */
export function testSlug(fullName: string): string {
  const words = fullName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
  const hash = createHash('sha1').update(fullName).digest('hex').slice(0, 8);
  return words ? `${words}-${hash}` : hash;
}

/** A suite name becomes one path segment, never a way out of the artifacts dir. */
function suiteSegment(suite: string): string {
  const s = suite.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^\.+/, '');
  return s || 'unknown';
}

/** The test's artifact directory (absolute; not created). */
export function artifactDir(reportDir: string, suite: string, fullName: string): string {
  return resolve(reportDir, ARTIFACTS, suiteSegment(suite), testSlug(fullName));
}

/** A path inside the report dir as stored in meta.json: relative, with forward slashes. */
export function reportRelative(reportDir: string, path: string): string {
  const rel = isAbsolute(path) ? relative(reportDir, path) : path;
  return rel.split(sep).join('/');
}

/**
 * Writes the test's meta.json (creating its directory) and returns the directory. Artifact paths may be
 * given absolute; they are stored relative to the report dir. Written via a temp file and a rename so
 * a reporter reading concurrently never sees half a file.
 */
export function writeMeta(reportDir: string, meta: TestMeta): string {
  const dir = artifactDir(reportDir, meta.suite, meta.fullName);
  mkdirSync(dir, { recursive: true });
  const stored: TestMeta = {
    ...meta,
    rules: [...new Set(meta.rules)].sort(),
    pcap: meta.pcap === undefined ? undefined : reportRelative(reportDir, meta.pcap),
    ladderText: meta.ladderText === undefined ? undefined : reportRelative(reportDir, meta.ladderText),
    ladderHtml: meta.ladderHtml === undefined ? undefined : reportRelative(reportDir, meta.ladderHtml),
  };
  const tmp = join(dir, `.${META_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(stored, null, 2) + '\n');
  renameSync(tmp, join(dir, META_FILE));
  return dir;
}

function isMeta(x: unknown): x is TestMeta {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m.suite === 'string' && typeof m.file === 'string' && typeof m.fullName === 'string'
    && Array.isArray(m.rules) && m.rules.every((r) => typeof r === 'string') && typeof m.findings === 'number';
}

/**
 * Every meta.json under `<report>/artifacts/*\/*\/`. A file that is not valid meta (hand-edited, from an
 * older version) is skipped rather than failing the whole run's summary.
 */
export function readAllMeta(reportDir: string): TestMeta[] {
  const root = join(reportDir, ARTIFACTS);
  if (!existsSync(root)) return [];
  const out: TestMeta[] = [];
  for (const suite of readdirSync(root, { withFileTypes: true })) {
    if (!suite.isDirectory()) continue;
    for (const test of readdirSync(join(root, suite.name), { withFileTypes: true })) {
      if (!test.isDirectory()) continue;
      const file = join(root, suite.name, test.name, META_FILE);
      if (!existsSync(file)) continue;
      try {
        const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (isMeta(parsed)) out.push(parsed);
      } catch {
        // a corrupt meta.json only loses that test's extras
      }
    }
  }
  return out;
}

/** The key joining a meta.json with jest's result for the same test. */
export function metaKey(rootDir: string, file: string, fullName: string): string {
  return `${resolve(rootDir, file)}\u0000${fullName}`;
}

/** readAllMeta indexed by metaKey. */
export function metaIndex(reportDir: string, rootDir: string): Map<string, TestMeta> {
  return new Map(readAllMeta(reportDir).map((m) => [metaKey(rootDir, m.file, m.fullName), m]));
}
