/**
 * Last line of defence for "secrets never reach a report": before the HTML report is generated, every
 * file in allure-results is masked. The helpers in allure.ts already redact what they attach; this
 * catches what they cannot see: a failure message or stack that quotes a password, an endpoint's own
 * log file, junit.xml.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { containsSecret, redact, redactBytes } from './redact.js';

const TEXT = new Set(['.json', '.txt', '.html', '.xml', '.log', '.csv', '.properties', '.yaml', '.yml', '.svg']);

/**
 * Masks secrets in every file under dir, recursively, but for the subfolders named in skip; returns the
 * paths of the files it changed.
 */
export function scrubTree(dir: string, secrets: readonly string[], skip: readonly string[] = []): string[] {
  if (secrets.every((s) => s.length === 0)) return [];
  const changed: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skip.includes(name)) changed.push(...scrubTree(path, secrets));
      continue;
    }
    const data = readFileSync(path);
    if (!containsSecret(data, secrets)) continue;
    const ext = extname(name).toLowerCase();
    // JSON: mask inside the decoded strings so escaping (a quote or backslash in a password) cannot hide it
    const out = ext === '.json' ? maskJson(data.toString('utf8'), secrets)
      : TEXT.has(ext) ? Buffer.from(redact(data.toString('utf8'), secrets))
      : redactBytes(data, secrets);
    writeFileSync(path, out);
    changed.push(path);
  }
  return changed;
}

function maskJson(text: string, secrets: readonly string[]): Buffer {
  try {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return redact(v, secrets);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return Buffer.from(JSON.stringify(walk(JSON.parse(text))));
  } catch {
    return Buffer.from(redact(text, secrets));
  }
}
