/**
 * Touches allure-results up after a run, before `allure generate`, with what only the run as a whole
 * knows (each test's meta.json):
 *  - a skipped test shows its reason: its body never ran, so nothing inside the test could say why;
 *  - the Suites tab groups by conformance suite first (allure-jest starts the tree at the describe);
 *  - secrets are masked everywhere in the report dir: allure-results, artifacts, junit.xml (endpoint
 *    logs are written by the endpoints themselves, not through the redacting helpers).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { metaIndex, metaKey, type TestMeta } from './artifacts.js';
import { allureResultsDir } from './report-dir.js';
import { scrubTree } from './scrub-results.js';

interface AllureLabel { name: string; value: string }
interface AllureResult {
  fullName?: string;
  status?: string;
  statusDetails?: { message?: string; trace?: string };
  labels?: AllureLabel[];
}

const SUITE_LABELS = new Set(['parentSuite', 'suite', 'subSuite']);

/** allure-jest's fullName is `[project:]path/of/file.ts#describe title test title`. */
export function splitAllureFullName(fullName: string): { file: string; name: string } | undefined {
  const hash = fullName.indexOf('#');
  if (hash < 0) return undefined;
  const left = fullName.slice(0, hash);
  const colon = left.indexOf(':');
  return { file: colon >= 0 ? left.slice(colon + 1) : left, name: fullName.slice(hash + 1) };
}

/** Applies meta.json to one result; returns whether it changed. */
export function applyMeta(result: AllureResult, meta: TestMeta): boolean {
  const labels = result.labels ?? [];
  const describes = labels.filter((l) => SUITE_LABELS.has(l.name)).map((l) => l.value);
  const alreadyGrouped = labels.some((l) => l.name === 'parentSuite' && l.value === meta.suite);
  let changed = false;
  if (!alreadyGrouped) {
    const rest = labels.filter((l) => !SUITE_LABELS.has(l.name));
    const tree: AllureLabel[] = [{ name: 'parentSuite', value: meta.suite }];
    if (describes[0]) tree.push({ name: 'suite', value: describes[0] });
    if (describes.length > 1) tree.push({ name: 'subSuite', value: describes.slice(1).join(' › ') });
    result.labels = [...rest, ...tree];
    changed = true;
  }
  if (result.status === 'skipped' && meta.skipReason && !result.statusDetails?.message) {
    result.statusDetails = { ...result.statusDetails, message: `skipped: ${meta.skipReason}` };
    changed = true;
  }
  return changed;
}

export interface FinishOptions {
  /** jest's rootDir, against which allure-jest wrote test file paths. */
  rootDir: string;
  secrets?: readonly string[];
}

/** Runs the touch-ups on `<report>`; safe to run twice. */
export function finishAllureResults(reportDir: string, options: FinishOptions): void {
  const results = allureResultsDir(reportDir);
  if (existsSync(results)) {
    const metas = metaIndex(reportDir, options.rootDir);
    for (const name of readdirSync(results)) {
      if (!name.endsWith('-result.json')) continue;
      const path = join(results, name);
      const result = JSON.parse(readFileSync(path, 'utf8')) as AllureResult;
      const id = result.fullName ? splitAllureFullName(result.fullName) : undefined;
      const meta = id ? metas.get(metaKey(options.rootDir, id.file, id.name)) : undefined;
      if (meta && applyMeta(result, meta)) writeFileSync(path, JSON.stringify(result));
    }
  }
  // allure-report is generated from the scrubbed results afterwards; anything else the run wrote is masked here
  if (existsSync(reportDir)) scrubTree(reportDir, options.secrets ?? [], ['allure-report']);
}
